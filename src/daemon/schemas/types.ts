// The shape of the generated request schemas (engine-api.ts): JSON schemas
// with two annotations for Go's error messages.

export type JsonType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null';

export interface SchemaNode {
  $ref?: string;
  allOf?: SchemaNode[];
  type?: JsonType[];
  minimum?: number;
  maximum?: number;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  additionalProperties?: SchemaNode;
  /** The Go type a value here decodes into (`int64`, `[]string`, `container.HostConfig`). */
  'x-go'?: string;
  /** The Go struct whose fields `properties` are (`HostConfig`). */
  'x-go-struct'?: string;
  /** A pointer field (*int64, *bool): null is Go's nil, kept as null. */
  'x-go-pointer'?: boolean;
  /** A list item or map value, of this JSON type: a null here decodes as its zero value. */
  'x-go-elem'?: JsonType;
  /** A strslice.StrSlice: a string or a list of strings. */
  'x-go-strslice'?: boolean;
}

export interface EngineApiSchemas {
  $id: 'docker';
  definitions: Record<string, SchemaNode>;
  /** The integer query parameters of each operation, by "METHOD /path/:param". */
  queries: Record<string, string[]>;
}
