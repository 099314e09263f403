// The embedded DNS server (server.ts) and what it needs from the network records (types.ts).
export { EmbeddedDns, type EmbeddedDnsOptions } from './server';
export { DEFAULT_LIMITS, RESOLVER_IP, RESP_TTL, type DnsDirectory, type DnsLimits } from './types';
export { DEFAULT_FORWARDER, type ForwarderOptions } from './forwarder';
