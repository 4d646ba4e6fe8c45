import { Anchor, Button, Group, Stack, Table, Text, Title } from "@mantine/core";
import { useEffect, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { DeploymentControls } from "../components/DeploymentControls";
import { DeploymentForm } from "../components/DeploymentForm";
import { Empty, ErrorAlert, Loading } from "../components/Feedback";
import { StateBadge } from "../components/StateBadge";
import { deploymentsApi } from "../deployments";
import { formatCount, formatDateTime } from "../format";
import { registry } from "../registry";
import { riskApi } from "../risk";
import { useApi } from "../useApi";

const REFRESH_MS = 2000;

/** Every deployment of the caller with its runner's progress (refreshed every 2 s while a
 * runner is live), the controls its state allows, and the form that starts a new one. */
export default function DeploymentsPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const list = useApi((signal) => deploymentsApi.list(signal), []);
  const models = useApi((signal) => registry.listModels(signal), []);
  const accounts = useApi((signal) => riskApi.listAccounts(signal), []);
  const [error, setError] = useState<Error | null>(null);
  const rows = list.data?.deployments ?? [];
  const live = rows.some((d) => ["QUEUED", "RUNNING", "PAUSED", "CANCELLING"].includes(d.state));
  const { reload } = list;
  useEffect(() => {
    if (!live) return undefined;
    const timer = setInterval(reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [live, reload]);
  const modelName = (id: string) => models.data?.models.find((m) => m.id === id)?.name ?? id.slice(0, 8);
  const accountName = (id: string) =>
    accounts.data?.accounts.find((a) => a.id === id)?.name ?? id.slice(0, 8);
  const preset = params.get("version");

  return (
    <Stack data-testid="deployments-page">
      <Group justify="space-between">
        <Title order={2}>Deployments</Title>
        <Button variant="default" size="xs" onClick={reload}>
          Refresh
        </Button>
      </Group>
      <DeploymentForm
        modelId={params.get("model") ?? ""}
        version={preset ? Number(preset) : null}
        onCreated={(d) => navigate(`/deployments/${d.id}`)}
      />
      {(error ?? list.error) && <ErrorAlert error={(error ?? list.error) as Error} />}
      {list.loading && !list.data && <Loading label="Loading deployments…" />}
      {list.data && rows.length === 0 && <Empty>No deployments yet.</Empty>}
      {rows.length > 0 && (
        <Table.ScrollContainer minWidth={900}>
          <Table striped highlightOnHover horizontalSpacing={6} data-testid="deployments-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>State · mode</Table.Th>
                <Table.Th>Model</Table.Th>
                <Table.Th>Account</Table.Th>
                <Table.Th>Instruments</Table.Th>
                <Table.Th ta="right">Bars</Table.Th>
                <Table.Th ta="right">Orders</Table.Th>
                <Table.Th>Last bar</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((d) => (
                <Table.Tr key={d.id} data-testid="deployment-row" data-id={d.id}>
                  <Table.Td>
                    <StateBadge state={d.state} />
                    <Text size="xs" c="dimmed" data-testid="row-mode">
                      {d.mode}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Anchor component={Link} to={`/deployments/${d.id}`}>
                      {modelName(d.model_id)} v{d.model_version}
                    </Anchor>
                  </Table.Td>
                  <Table.Td maw={150}>
                    <Text size="sm" truncate="end" title={accountName(d.account_id)}>
                      {accountName(d.account_id)}
                    </Text>
                  </Table.Td>
                  <Table.Td maw={150}>
                    <Text size="sm" ff="monospace" lineClamp={2}>
                      {d.instruments.join(", ")}
                    </Text>
                  </Table.Td>
                  <Table.Td ta="right" data-testid="row-bars">
                    {formatCount(d.bars_processed)}
                  </Table.Td>
                  <Table.Td ta="right" data-testid="row-orders">
                    {formatCount(d.orders_submitted)}
                  </Table.Td>
                  <Table.Td>{formatDateTime(d.last_bar_time)}</Table.Td>
                  <Table.Td style={{ whiteSpace: "nowrap" }}>
                    <DeploymentControls
                      deployment={d}
                      size="compact-xs"
                      onChanged={() => reload()}
                      onError={setError}
                    />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
