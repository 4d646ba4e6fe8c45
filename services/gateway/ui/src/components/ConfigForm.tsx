import {
  Fieldset,
  NumberInput,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  TextInput,
} from "@mantine/core";
import type { Config, JsonSchema } from "../api";

/** Form fields generated from a config's JSON Schema; values and errors keyed by dotted path. */
interface Props {
  schema: JsonSchema;
  value: Config;
  errors: Record<string, string>;
  onChange: (path: string, value: unknown) => void;
}

function resolve(schema: JsonSchema, root: JsonSchema): JsonSchema {
  if (schema.$ref) {
    const name = schema.$ref.split("/").pop() ?? "";
    const target = root.$defs?.[name] ?? {};
    return { ...target, ...schema, $ref: undefined, properties: target.properties };
  }
  return schema;
}

/** `T | null` unions: the non-null branch, and whether null is allowed. */
function unwrapNullable(schema: JsonSchema): { inner: JsonSchema; nullable: boolean } {
  if (schema.anyOf) {
    const branches = schema.anyOf.filter((s) => s.type !== "null");
    if (branches.length === 1) {
      return {
        inner: { ...branches[0], title: schema.title, description: schema.description },
        nullable: branches.length < schema.anyOf.length,
      };
    }
  }
  return { inner: schema, nullable: false };
}

function get(config: Config, path: string): unknown {
  let node: unknown = config;
  for (const key of path.split(".")) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Immutable set of a dotted path. */
export function setPath(config: Config, path: string, value: unknown): Config {
  const [head, ...rest] = path.split(".");
  if (rest.length === 0) return { ...config, [head]: value };
  const child = config[head];
  const childObj = child && typeof child === "object" ? (child as Config) : {};
  return { ...config, [head]: setPath(childObj, rest.join("."), value) };
}

function rangeHint(s: JsonSchema): string {
  const parts: string[] = [];
  if (s.minimum !== undefined) parts.push(`≥ ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) parts.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined) parts.push(`≤ ${s.maximum}`);
  if (s.exclusiveMaximum !== undefined) parts.push(`< ${s.exclusiveMaximum}`);
  return parts.length ? ` (${parts.join(", ")})` : "";
}

function Field({
  path,
  schema,
  value,
  error,
  onChange,
}: {
  path: string;
  schema: JsonSchema;
  value: unknown;
  error?: string;
  onChange: (path: string, value: unknown) => void;
}) {
  const { inner, nullable } = unwrapNullable(schema);
  const label = inner.title ?? path.split(".").pop();
  const common = { label, error, "data-field": path, name: path };
  if (inner.enum) {
    return (
      <Select
        {...common}
        description={inner.description}
        data={inner.enum.map(String)}
        value={value === null || value === undefined ? null : String(value)}
        clearable={nullable}
        allowDeselect={nullable}
        onChange={(v) => onChange(path, v)}
      />
    );
  }
  if (inner.type === "boolean") {
    return (
      <Switch
        {...common}
        mt="md"
        description={inner.description}
        checked={Boolean(value)}
        onChange={(e) => onChange(path, e.currentTarget.checked)}
      />
    );
  }
  if (inner.type === "integer" || inner.type === "number") {
    return (
      <NumberInput
        {...common}
        description={(inner.description ?? "") + rangeHint(inner)}
        placeholder={nullable ? "not set" : undefined}
        value={typeof value === "number" ? value : ""}
        allowDecimal={inner.type === "number"}
        clampBehavior="none"
        onChange={(v) => {
          if (v === "" || v === undefined) onChange(path, nullable ? null : v);
          else onChange(path, typeof v === "number" ? v : Number(v));
        }}
      />
    );
  }
  if (inner.type === "array") {
    const itemType = inner.items?.type;
    const text = Array.isArray(value) ? value.join(", ") : "";
    return (
      <TextInput
        {...common}
        description={`${inner.description ?? ""} Comma-separated.`}
        defaultValue={text}
        key={text}
        onBlur={(e) => {
          const raw = e.currentTarget.value.trim();
          const items = raw === "" ? [] : raw.split(",").map((x) => x.trim());
          const parsed =
            itemType === "number" || itemType === "integer"
              ? items.map((x) => (x !== "" && !Number.isNaN(Number(x)) ? Number(x) : x))
              : items;
          onChange(path, parsed);
        }}
      />
    );
  }
  return (
    <TextInput
      {...common}
      description={inner.description}
      placeholder={nullable ? "not set" : undefined}
      value={typeof value === "string" ? value : ""}
      onChange={(e) => {
        const v = e.currentTarget.value;
        onChange(path, v === "" && nullable ? null : v);
      }}
    />
  );
}

/** Keys the user never edits: constants (version, task, agent, kind) and the dataset id
 * (chosen once for the whole strategy). */
function editable(key: string, s: JsonSchema): boolean {
  return s.const === undefined && key !== "dataset_id";
}

export function ConfigForm({ schema, value, errors, onChange }: Props) {
  const props = schema.properties ?? {};
  const leaves: [string, JsonSchema][] = [];
  const groups: [string, JsonSchema][] = [];
  for (const [key, raw] of Object.entries(props)) {
    const s = resolve(raw, schema);
    if (!editable(key, s)) continue;
    (s.properties ? groups : leaves).push([key, s]);
  }
  return (
    <Stack data-testid="config-form">
      {leaves.length > 0 && (
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
          {leaves.map(([key, s]) => (
            <Field
              key={key}
              path={key}
              schema={s}
              value={get(value, key)}
              error={errors[key]}
              onChange={onChange}
            />
          ))}
        </SimpleGrid>
      )}
      {groups.map(([key, group]) => (
        <Fieldset key={key} legend={group.title ?? key}>
          <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
            {Object.entries(group.properties ?? {})
              .map(([k, raw]) => [k, resolve(raw, schema)] as const)
              .filter(([k, s]) => editable(k, s))
              .map(([k, s]) => {
                const path = `${key}.${k}`;
                return (
                  <Field
                    key={path}
                    path={path}
                    schema={s}
                    value={get(value, path)}
                    error={errors[path]}
                    onChange={onChange}
                  />
                );
              })}
          </SimpleGrid>
        </Fieldset>
      ))}
    </Stack>
  );
}
