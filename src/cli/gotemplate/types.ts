// The Go types the docker CLI decodes inspect output into (moby's api/types,
// v28), field by field in Go's order, so that {{.State}} prints
// {running true …} and {{.HostConfig.RestartPolicy}} prints {no 0} as docker
// does. Written in a small Go-like notation: `GoName[@jsonKey] type`, with
// types string, bool, int, float, time, any, ? (inferred from the JSON), *T,
// []T, map[string]T, {} (an empty struct) and the named types below; a field
// named `^Type` is an embedded struct (its fields share the parent's JSON
// object); a name ending in `~` is `json:",omitempty"` ({{json .Config}}
// encodes the typed value as Go does).
import { type GoType, type StructField, T } from './value';

const DEFS: Record<string, string> = {
  'container.InspectResponse': '^container.ContainerJSONBase, Mounts []container.MountPoint, Config *container.Config, NetworkSettings *container.NetworkSettings, ImageManifestDescriptor~ ?',
  'container.ContainerJSONBase': 'ID@Id string, Created string, Path string, Args []string, State *container.State, Image string, ResolvConfPath string, HostnamePath string, HostsPath string, LogPath string, Node~ ?, Name string, RestartCount int, Driver string, Platform string, MountLabel string, ProcessLabel string, AppArmorProfile string, ExecIDs []string, HostConfig *container.HostConfig, GraphDriver storage.DriverData, SizeRw~ *int, SizeRootFs~ *int',
  'container.State': 'Status string, Running bool, Paused bool, Restarting bool, OOMKilled bool, Dead bool, Pid int, ExitCode int, Error string, StartedAt string, FinishedAt string, Health~ *container.Health',
  'container.Health': 'Status string, FailingStreak int, Log []*container.HealthcheckResult',
  'container.HealthcheckResult': 'Start time, End time, ExitCode int, Output string',
  'container.MountPoint': 'Type~ string, Name~ string, Source string, Destination string, Driver~ string, Mode string, RW bool, Propagation string',
  'storage.DriverData': 'Data map[string]string, Name string',
  'container.Config': 'Hostname string, Domainname string, User string, AttachStdin bool, AttachStdout bool, AttachStderr bool, ExposedPorts~ map[string]{}, Tty bool, OpenStdin bool, StdinOnce bool, Env []string, Cmd []string, Healthcheck~ *container.HealthConfig, ArgsEscaped~ bool, Image string, Volumes map[string]{}, WorkingDir string, Entrypoint []string, NetworkDisabled~ bool, MacAddress~ string, OnBuild []string, Labels map[string]string, StopSignal~ string, StopTimeout~ *int, Shell~ []string',
  'container.HealthConfig': 'Test~ []string, Interval~ int, Timeout~ int, StartPeriod~ int, StartInterval~ int, Retries~ int',
  'container.HostConfig': 'Binds []string, ContainerIDFile string, LogConfig container.LogConfig, NetworkMode string, PortBindings map[string][]nat.PortBinding, RestartPolicy container.RestartPolicy, AutoRemove bool, VolumeDriver string, VolumesFrom []string, ConsoleSize []int, Annotations~ map[string]string, CapAdd []string, CapDrop []string, CgroupnsMode string, DNS@Dns []string, DNSOptions@DnsOptions []string, DNSSearch@DnsSearch []string, ExtraHosts []string, GroupAdd []string, IpcMode string, Cgroup string, Links []string, OomScoreAdj int, PidMode string, Privileged bool, PublishAllPorts bool, ReadonlyRootfs bool, SecurityOpt []string, StorageOpt~ map[string]string, Tmpfs~ map[string]string, UTSMode string, UsernsMode string, ShmSize int, Sysctls~ map[string]string, Runtime~ string, Isolation string, ^container.Resources, Mounts~ []?, MaskedPaths []string, ReadonlyPaths []string, Init~ *bool',
  'container.Resources': 'CPUShares@CpuShares int, Memory int, NanoCPUs@NanoCpus int, CgroupParent string, BlkioWeight int, BlkioWeightDevice []*?, BlkioDeviceReadBps []*?, BlkioDeviceWriteBps []*?, BlkioDeviceReadIOps []*?, BlkioDeviceWriteIOps []*?, CPUPeriod@CpuPeriod int, CPUQuota@CpuQuota int, CPURealtimePeriod@CpuRealtimePeriod int, CPURealtimeRuntime@CpuRealtimeRuntime int, CpusetCpus string, CpusetMems string, Devices []container.DeviceMapping, DeviceCgroupRules []string, DeviceRequests []?, KernelMemory~ int, KernelMemoryTCP~ int, MemoryReservation int, MemorySwap int, MemorySwappiness *int, OomKillDisable *bool, PidsLimit *int, Ulimits []*?, CPUCount@CpuCount int, CPUPercent@CpuPercent int, IOMaximumIOps int, IOMaximumBandwidth int',
  'container.LogConfig': 'Type string, Config map[string]string',
  'container.RestartPolicy': 'Name string, MaximumRetryCount int',
  'container.DeviceMapping': 'PathOnHost string, PathInContainer string, CgroupPermissions string',
  'nat.PortBinding': 'HostIP@HostIp string, HostPort string',
  'container.NetworkSettings': '^container.NetworkSettingsBase, ^container.DefaultNetworkSettings, Networks map[string]*network.EndpointSettings',
  'container.NetworkSettingsBase': 'Bridge string, SandboxID string, SandboxKey string, Ports map[string][]nat.PortBinding, HairpinMode bool, LinkLocalIPv6Address string, LinkLocalIPv6PrefixLen int, SecondaryIPAddresses []?, SecondaryIPv6Addresses []?',
  'container.DefaultNetworkSettings': 'EndpointID string, Gateway string, GlobalIPv6Address string, GlobalIPv6PrefixLen int, IPAddress string, IPPrefixLen int, IPv6Gateway string, MacAddress string',
  'network.EndpointSettings': 'IPAMConfig ?, Links []string, Aliases []string, MacAddress string, DriverOpts map[string]string, GwPriority int, NetworkID string, EndpointID string, Gateway string, IPAddress string, IPPrefixLen int, IPv6Gateway string, GlobalIPv6Address string, GlobalIPv6PrefixLen int, DNSNames []string',
  'image.InspectResponse': 'ID@Id string, RepoTags []string, RepoDigests []string, Parent string, Comment string, Created string, Container~ string, ContainerConfig~ *container.Config, DockerVersion string, Author string, Config *v1.DockerOCIImageConfig, Architecture string, Variant~ string, Os string, OsVersion~ string, Size int, VirtualSize~ int, GraphDriver storage.DriverData, RootFS image.RootFS, Metadata image.Metadata, Descriptor~ ?, Manifests~ ?',
  'v1.DockerOCIImageConfig': '^v1.ImageConfig, ^v1.DockerOCIImageConfigExt',
  'v1.ImageConfig': 'User~ string, ExposedPorts~ map[string]{}, Env~ []string, Entrypoint~ []string, Cmd~ []string, Volumes~ map[string]{}, WorkingDir~ string, Labels~ map[string]string, StopSignal~ string, ArgsEscaped~ bool',
  'v1.DockerOCIImageConfigExt': 'Healthcheck~ *container.HealthConfig, OnBuild~ []string, Shell~ []string',
  'image.RootFS': 'Type string, Layers []string',
  'image.Metadata': 'LastTagTime time',
  'system.versionInfo': 'Client system.clientVersion, Server *types.Version',
  'system.clientVersion': 'Platform~ *system.platformInfo, Version~ string, APIVersion~@ApiVersion string, DefaultAPIVersion~ string, GitCommit~ string, GoVersion~ string, Os~ string, Arch~ string, BuildTime~ string, Context string',
  'system.platformInfo': 'Name string',
  'types.Version': 'Platform system.platformInfo, Components~ []types.ComponentVersion, Version string, APIVersion@ApiVersion string, MinAPIVersion~ string, GitCommit string, GoVersion string, Os string, Arch string, KernelVersion~ string, Experimental~ bool, BuildTime~ string',
  'types.ComponentVersion': 'Name string, Version string, Details~ map[string]string',
  'system.clientInfo': 'Debug bool, ^system.clientVersion, Plugins []?, Warnings []string',
  'volume.Volume': 'ClusterVolume~ *?, CreatedAt~ string, Driver string, Labels map[string]string, Mountpoint string, Name string, Options map[string]string, Scope string, Status~ map[string]any, UsageData~ *volume.UsageData',
  'volume.UsageData': 'RefCount int, Size int',
  // docker context inspect's contextWithTLSListing (its Metadata's Description is left out when empty).
  'context.contextWithTLSListing': '^store.Metadata, TLSMaterial map[string][]string, Storage store.StorageInfo',
  'store.Metadata': 'Name~ string, Metadata~ command.DockerContext, Endpoints~ map[string]docker.EndpointMeta',
  'command.DockerContext': 'Description~ string, AdditionalFields~ map[string]any',
  'docker.EndpointMeta': 'Host~ string, SkipTLSVerify bool',
  'store.StorageInfo': 'MetadataPath string, TLSPath string',
};

const cache = new Map<string, GoType>();

/** The Go type of a name in DEFS (structs are built once, on first use). */
export function goType(name: string): GoType {
  const hit = cache.get(name);
  if (hit) return hit;
  const def = DEFS[name];
  if (def === undefined) throw new Error(`no Go type ${name}`);
  const t: GoType = { k: 'struct', name, fields: [] };
  cache.set(name, t);
  const fields: StructField[] = [];
  for (const part of def.split(', ')) {
    if (part.startsWith('^')) {
      fields.push({ name: part.slice(1).split('.').pop()!, type: goType(part.slice(1)), embedded: true });
      continue;
    }
    const [field, type] = part.split(' ') as [string, string];
    const omitempty = field.includes('~');
    const [goName, jsonKey] = field.replace('~', '').split('@') as [string, string | undefined];
    fields.push({ name: goName, type: typeOf(type), ...(jsonKey ? { json: jsonKey } : {}), ...(omitempty ? { omitempty } : {}) });
  }
  (t as { fields: StructField[] }).fields = fields;
  return t;
}

function typeOf(s: string): GoType {
  if (s.startsWith('*')) return { k: 'ptr', elem: typeOf(s.slice(1)) };
  if (s.startsWith('[]')) return { k: 'slice', elem: typeOf(s.slice(2)) };
  if (s.startsWith('map[string]')) return { k: 'map', key: T.string, elem: typeOf(s.slice('map[string]'.length)) };
  switch (s) {
    case 'string': return T.string;
    case 'bool': return T.bool;
    case 'int': return T.int;
    case 'float': return T.float;
    case 'time': return { k: 'time' };
    case 'any': return T.iface;
    case '?': return T.infer;
    case '{}': return { k: 'struct', name: 'struct {}', fields: [] };
    default: return goType(s);
  }
}

/** `docker info`'s template data: the daemon's Info (its fields as sent) and the client's part. */
export function infoValue(server: Record<string, unknown>, clientInfo: Record<string, unknown>): { t: GoType; v: unknown } {
  // Runtimes is a Go map and RegistryConfig marshals itself through one (moby's ServiceConfig.MarshalJSON): their JSON keys come sorted.
  const sorted = new Set(['Runtimes', 'RegistryConfig']);
  const info: GoType = { k: 'struct', name: 'system.Info', fields: Object.keys(server).map((name) => ({ name, type: sorted.has(name) ? typeOf('map[string]any') : T.infer })) };
  const fields: StructField[] = [
    { name: 'Info', type: info, embedded: true },
    { name: 'ClientInfo', type: { k: 'ptr', elem: goType('system.clientInfo') } },
  ];
  return { t: { k: 'struct', name: 'system.dockerInfo', fields }, v: { ...server, ClientInfo: clientInfo } };
}

/** An inspect result as the docker CLI decodes it: a container or an image in its Go type, anything else as JSON. */
export function inspectValue(obj: unknown): { t: GoType; v: unknown } {
  if (obj !== null && typeof obj === 'object' && !Array.isArray(obj)) {
    if ('State' in obj && 'HostConfig' in obj) return { t: goType('container.InspectResponse'), v: obj };
    if ('RepoTags' in obj && 'RootFS' in obj) return { t: goType('image.InspectResponse'), v: obj };
    if ('Mountpoint' in obj && 'Scope' in obj && 'Driver' in obj) return { t: goType('volume.Volume'), v: obj };
    if ('Endpoints' in obj && 'Storage' in obj) return { t: goType('context.contextWithTLSListing'), v: obj };
  }
  return { t: T.infer, v: obj };
}
