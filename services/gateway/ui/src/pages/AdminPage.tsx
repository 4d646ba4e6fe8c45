import {
  Alert,
  Badge,
  Button,
  Card,
  Code,
  Group,
  MultiSelect,
  NumberInput,
  PasswordInput,
  Stack,
  Table,
  Tabs,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { useState } from "react";
import { ROLES, admin, tokenScopes } from "../admin";
import type { AdminUser, ServiceToken } from "../admin";
import { ErrorAlert, Loading } from "../components/Feedback";
import { formatDateTime } from "../format";
import { useApi } from "../useApi";

const ROLE_DATA = ROLES.map((r) => ({ value: r, label: r }));

/** Run an admin action, then reload; its error is shown above the table. */
function useAction(reload: () => void) {
  const [error, setError] = useState<Error | null>(null);
  const run = async (action: () => Promise<unknown>) => {
    setError(null);
    try {
      await action();
      reload();
    } catch (e) {
      setError(e instanceof Error ? e : new Error(String(e)));
    }
  };
  return { error, run };
}

function UserRow({ user, run }: { user: AdminUser; run: (a: () => Promise<unknown>) => void }) {
  const [password, setPassword] = useState("");
  return (
    <Table.Tr data-testid={`admin-user-${user.username}`}>
      <Table.Td>
        {user.username}
        {user.disabled && (
          <Badge ml="xs" color="red" variant="light" size="xs">
            disabled
          </Badge>
        )}
      </Table.Td>
      <Table.Td miw={260}>
        <MultiSelect
          size="xs"
          data={ROLE_DATA}
          value={user.roles}
          aria-label={`Roles of ${user.username}`}
          onChange={(roles) => roles.length > 0 && run(() => admin.updateUser(user.id, { roles }))}
        />
      </Table.Td>
      <Table.Td>
        <Group gap="xs" wrap="nowrap">
          <Button
            size="xs"
            variant="default"
            onClick={() => run(() => admin.updateUser(user.id, { disabled: !user.disabled }))}
          >
            {user.disabled ? "Enable" : "Disable"}
          </Button>
          <PasswordInput
            size="xs"
            placeholder="new password (12+)"
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            aria-label={`New password for ${user.username}`}
          />
          <Button
            size="xs"
            variant="default"
            disabled={password.length < 12}
            onClick={() =>
              run(() => admin.resetPassword(user.id, password).then(() => setPassword("")))
            }
          >
            Reset password
          </Button>
        </Group>
      </Table.Td>
    </Table.Tr>
  );
}

function UsersTab() {
  const users = useApi((signal) => admin.listUsers(signal), []);
  const { error, run } = useAction(users.reload);
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [roles, setRoles] = useState<string[]>(["viewer"]);
  const create = () =>
    run(async () => {
      await admin.createUser(username, password, roles);
      setUsername("");
      setPassword("");
    });
  return (
    <Stack>
      <Card withBorder>
        <Group align="end">
          <TextInput
            label="Username"
            value={username}
            onChange={(e) => setUsername(e.currentTarget.value)}
            data-testid="admin-new-username"
          />
          <PasswordInput
            label="Password (12+ characters)"
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            data-testid="admin-new-password"
          />
          <MultiSelect label="Roles" data={ROLE_DATA} value={roles} onChange={setRoles} miw={220} />
          <Button onClick={create} disabled={!username || password.length < 12 || !roles.length}>
            Create user
          </Button>
        </Group>
      </Card>
      {error && <ErrorAlert error={error} />}
      {users.loading && !users.data && <Loading label="Loading users…" />}
      {users.error && <ErrorAlert error={users.error} />}
      {users.data && (
        <Table striped data-testid="admin-users">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>User</Table.Th>
              <Table.Th>Roles</Table.Th>
              <Table.Th>Actions</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {users.data.users.map((u) => (
              <UserRow key={u.id} user={u} run={run} />
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}

function tokenState(t: ServiceToken): string {
  if (t.revoked_at) return "revoked";
  return new Date(t.expires_at) < new Date() ? "expired" : "active";
}

function TokensTab() {
  const tokens = useApi((signal) => admin.listTokens(signal), []);
  const scopes = useApi((signal) => tokenScopes(signal), []);
  const { error, run } = useAction(tokens.reload);
  const [name, setName] = useState("");
  const [chosen, setChosen] = useState<string[]>([]);
  const [days, setDays] = useState<number>(30);
  const [secret, setSecret] = useState<string | null>(null);
  const create = () =>
    run(async () => {
      const created = await admin.createToken(name, chosen, days);
      setSecret(created.token);
      setName("");
    });
  return (
    <Stack>
      <Card withBorder>
        <Group align="end">
          <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <MultiSelect
            label="Scopes"
            data={scopes.data ?? []}
            value={chosen}
            onChange={setChosen}
            searchable
            miw={320}
          />
          <NumberInput
            label="Expires in (days)"
            value={days}
            onChange={(v) => setDays(Number(v) || 1)}
            min={1}
            max={366}
            w={140}
          />
          <Button onClick={create} disabled={!name || chosen.length === 0}>
            Create token
          </Button>
        </Group>
      </Card>
      {secret && (
        <Alert
          color="yellow"
          title="Copy the token now: it is not shown again"
          withCloseButton
          onClose={() => setSecret(null)}
        >
          <Code block data-testid="admin-token-secret">
            {secret}
          </Code>
        </Alert>
      )}
      {error && <ErrorAlert error={error} />}
      {tokens.error && <ErrorAlert error={tokens.error} />}
      {tokens.data && (
        <Table striped data-testid="admin-tokens">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Scopes</Table.Th>
              <Table.Th>Expires</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {tokens.data.service_tokens.map((t) => (
              <Table.Tr key={t.id}>
                <Table.Td>{t.name}</Table.Td>
                <Table.Td>
                  <Text size="xs">
                    {[...t.scopes, ...t.roles.map((r) => `role ${r}`)].join(", ")}
                  </Text>
                </Table.Td>
                <Table.Td>{formatDateTime(t.expires_at)}</Table.Td>
                <Table.Td>{tokenState(t)}</Table.Td>
                <Table.Td>
                  {tokenState(t) === "active" && (
                    <Button
                      size="xs"
                      color="red"
                      variant="light"
                      onClick={() => run(() => admin.revokeToken(t.id))}
                    >
                      Revoke
                    </Button>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}

function AuditTab() {
  const audit = useApi((signal) => admin.audit(signal), []);
  if (audit.error) return <ErrorAlert error={audit.error} />;
  if (!audit.data) return <Loading label="Loading audit log…" />;
  return (
    <Table striped data-testid="admin-audit">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>When</Table.Th>
          <Table.Th>Action</Table.Th>
          <Table.Th>Actor</Table.Th>
          <Table.Th>Target</Table.Th>
          <Table.Th>Detail</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {audit.data.entries.map((e) => (
          <Table.Tr key={e.id}>
            <Table.Td>{formatDateTime(e.at)}</Table.Td>
            <Table.Td>{e.action}</Table.Td>
            <Table.Td>
              <Text size="xs">{e.actor_id.slice(0, 8)}</Text>
            </Table.Td>
            <Table.Td>
              <Text size="xs">{e.target_id.slice(0, 8)}</Text>
            </Table.Td>
            <Table.Td>
              <Text size="xs">{JSON.stringify(e.detail)}</Text>
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** Users, roles, service tokens and the audit log of their changes (admins only). */
export default function AdminPage() {
  return (
    <Stack data-testid="admin-page">
      <Title order={2}>Administration</Title>
      <Tabs defaultValue="users" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="users">Users</Tabs.Tab>
          <Tabs.Tab value="tokens">Service tokens</Tabs.Tab>
          <Tabs.Tab value="audit">Audit log</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="users" pt="md">
          <UsersTab />
        </Tabs.Panel>
        <Tabs.Panel value="tokens" pt="md">
          <TokensTab />
        </Tabs.Panel>
        <Tabs.Panel value="audit" pt="md">
          <AuditTab />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
