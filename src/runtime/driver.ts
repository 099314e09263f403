// The OCI runtime as the engine sees it: runc's command line, which
// tsd-runtime, runc and crun all take. The shim drives a container's runtime
// for its create/start/kill/delete (so the container never depends on the
// daemon); the daemon reaches a runtime directly only where no shim is left:
// at restore, for the state a crash left behind.
//
// Lifecycle of one container in a runtime's root (its state dir is <root>/<id>):
//   create(id, bundle)   namespaces, cgroup and rootfs made; the init waits
//                        (state: created, pid known)
//   start(id)            the init execs the user's process (state: running)
//   exec(id, process)    another process in the running container
//   kill(id, signal)     to the init, or to every process with `all`
//                        (state: stopped once the init is gone)
//   delete(id)           state dir and cgroup removed; refused while the
//                        container runs, unless `force` (which kills it first)
// state() of an id the root does not hold is a NotFoundError; list() names
// what the root holds. test/runtime/driver-suite.ts is the conformance suite
// every implementation runs (today: tsd-runtime and runc, through OciRuntime).

export type RuntimeStatus = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

export interface RuntimeState {
  id: string;
  pid: number;
  status: RuntimeStatus;
  bundle: string;
}

export interface RuntimeDriver {
  /** The runtime's name as containers give it (HostConfig.Runtime). */
  readonly name: string;
  create(id: string, bundle: string, opts?: { pidFile?: string }): Promise<void>;
  start(id: string): Promise<void>;
  state(id: string): Promise<RuntimeState>;
  kill(id: string, signal: string | number, opts?: { all?: boolean }): Promise<void>;
  /** Runs the OCI process in `processFile` (process.json) in the container; with `detach`, returns once it runs. */
  exec(id: string, processFile: string, opts?: { detach?: boolean; pidFile?: string }): Promise<void>;
  delete(id: string, opts?: { force?: boolean }): Promise<void>;
  /** The ids of the containers the runtime's root holds. */
  list(): Promise<string[]>;
}
