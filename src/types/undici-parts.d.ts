// Typings for the two undici modules the CLI loads directly instead of the
// package index (which loads every dispatcher, fetch, websockets, … at start-up).
declare module 'undici/lib/dispatcher/client' {
  import { Client } from 'undici';
  export default Client;
}
declare module 'undici/lib/api/api-request' {
  import type { Dispatcher } from 'undici';
  function request(this: Dispatcher, opts: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>;
  export default request;
}
declare module 'undici/lib/api/api-upgrade' {
  import type { Dispatcher } from 'undici';
  function upgrade(this: Dispatcher, opts: Dispatcher.UpgradeOptions): Promise<Dispatcher.UpgradeData>;
  export default upgrade;
}
