import type { JsonSchema } from '@fusion/core';

/**
 * The option schema of a dataset adapter that reads a folder: `type` (the adapter's) and `path` (required, described
 * by `pathDescription`), then the adapter's own `properties`; no other keys.
 */
export function folderSchema(type: string, pathDescription: string, properties: Record<string, JsonSchema> = {}): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'path'],
    properties: {
      type: { const: type },
      path: { type: 'string', minLength: 1, description: pathDescription },
      ...properties,
    },
  };
}
