// The subset of JSON Schema (draft 2020-12) that the contracts' snapshots use.

export type JsonSchemaType = 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object' | 'null';
export type JsonValue = string | number | boolean | null;

/** The subset of JSON Schema the generator writes. */
export interface JsonSchema {
  $schema?: string;
  title?: string;
  'x-message-type'?: string;
  'x-schema-version'?: number;
  type?: JsonSchemaType | JsonSchemaType[];
  format?: string;
  pattern?: string;
  const?: JsonValue;
  enum?: JsonValue[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  items?: JsonSchema;
  properties?: { [property: string]: JsonSchema };
  required?: string[];
  oneOf?: JsonSchema[];
}
