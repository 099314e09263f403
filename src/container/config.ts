// A create request's Config completed from the image's, as dockerd's merge does
// (daemon/commit.go `merge`): the user's values win, the image fills the gaps.
import type { ContainerConfig, ContainerCreateBody } from '../api/containers';
import type { ImageContainerConfig } from '../api/types';
import { InvalidArgumentError } from '../errors';

const envKey = (e: string): string => e.split('=', 1)[0]!;

/** The container's Config: the create body's fields (HostConfig excluded) over the image's. */
export function mergeConfig(body: ContainerCreateBody, image: ImageContainerConfig | undefined, imageName: string): ContainerConfig {
  const img: Partial<ImageContainerConfig> = image ?? {};
  const user = body;
  const env = [...(user.Env ?? [])];
  for (const e of img.Env ?? []) if (!env.some((u) => envKey(u) === envKey(e))) env.push(e);

  // --entrypoint "" arrives as [""]: no entrypoint, and the image's Cmd is not used either.
  const clearedEntrypoint = user.Entrypoint?.length === 1 && user.Entrypoint[0] === '';
  let entrypoint = clearedEntrypoint ? null : (user.Entrypoint ?? null);
  let cmd = user.Cmd ?? null;
  if (!entrypoint?.length && !clearedEntrypoint) {
    if (!cmd?.length) cmd = img.Cmd ?? null;
    entrypoint = img.Entrypoint ?? null;
  }
  if (!entrypoint?.length && !cmd?.length) throw new InvalidArgumentError('No command specified');

  const exposed = { ...(img.ExposedPorts ?? {}), ...(user.ExposedPorts ?? {}) };
  const volumes = { ...(img.Volumes ?? {}), ...(user.Volumes ?? {}) };
  return {
    Hostname: user.Hostname ?? '',
    Domainname: user.Domainname ?? '',
    User: user.User || img.User || '',
    AttachStdin: user.AttachStdin ?? false,
    AttachStdout: user.AttachStdout ?? false,
    AttachStderr: user.AttachStderr ?? false,
    ...(Object.keys(exposed).length ? { ExposedPorts: exposed } : {}),
    Tty: user.Tty ?? false,
    OpenStdin: user.OpenStdin ?? false,
    StdinOnce: user.StdinOnce ?? false,
    Env: env,
    Cmd: cmd,
    ...(user.Healthcheck ?? img.Healthcheck ? { Healthcheck: user.Healthcheck ?? img.Healthcheck } : {}),
    Image: imageName,
    Volumes: Object.keys(volumes).length ? volumes : null,
    WorkingDir: user.WorkingDir || img.WorkingDir || '',
    Entrypoint: entrypoint,
    OnBuild: user.OnBuild ?? img.OnBuild ?? null,
    Labels: { ...(img.Labels ?? {}), ...(user.Labels ?? {}) },
    ...(user.StopSignal || img.StopSignal ? { StopSignal: user.StopSignal || img.StopSignal } : {}),
    ...(user.StopTimeout !== undefined && user.StopTimeout !== null ? { StopTimeout: user.StopTimeout } : {}),
    ...(user.Shell ?? img.Shell ? { Shell: user.Shell ?? img.Shell } : {}),
  };
}

/** Path and Args as inspect shows them: the first word of Entrypoint+Cmd and the rest. */
export function commandOf(config: ContainerConfig): { path: string; args: string[] } {
  const words = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
  return { path: words[0] ?? '', args: words.slice(1) };
}
