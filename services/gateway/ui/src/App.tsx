import { AppShell, Burger, Button, Group, NavLink, Text, Title } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { Suspense, lazy } from "react";
import { Link, Navigate, Outlet, Route, Routes, useLocation } from "react-router";
import { AlertBell } from "./components/AlertBell";
import { Loading } from "./components/Feedback";
import { LoginPage } from "./pages/LoginPage";
import { SessionProvider, useSession } from "./session";

const DashboardPage = lazy(() => import("./pages/DashboardPage"));
const DatasetsPage = lazy(() => import("./pages/DatasetsPage"));
const DatasetDetailPage = lazy(() => import("./pages/DatasetDetailPage"));
const StrategiesPage = lazy(() => import("./pages/StrategiesPage"));
const StrategyEditPage = lazy(() => import("./pages/StrategyEditPage"));
const JobsPage = lazy(() => import("./pages/JobsPage"));
const JobDetailPage = lazy(() => import("./pages/JobDetailPage"));
const BacktestsPage = lazy(() => import("./pages/BacktestsPage"));
const BacktestDetailPage = lazy(() => import("./pages/BacktestDetailPage"));
const RiskConsolePage = lazy(() => import("./pages/RiskConsolePage"));
const AdminPage = lazy(() => import("./pages/AdminPage"));
const ModelsPage = lazy(() => import("./pages/ModelsPage"));
const ModelDetailPage = lazy(() => import("./pages/ModelDetailPage"));
const DeploymentsPage = lazy(() => import("./pages/DeploymentsPage"));
const DeploymentDetailPage = lazy(() => import("./pages/DeploymentDetailPage"));
const AlertsPage = lazy(() => import("./pages/AlertsPage"));
const AuditPage = lazy(() => import("./pages/AuditPage"));

const NAV = [
  { to: "/", label: "Dashboard" },
  { to: "/strategies", label: "Strategies" },
  { to: "/jobs", label: "Training jobs" },
  { to: "/backtests", label: "Backtests" },
  { to: "/models", label: "Models" },
  { to: "/deployments", label: "Deployments" },
  { to: "/datasets", label: "Datasets" },
  { to: "/risk", label: "Risk console" },
  { to: "/alerts", label: "Alerts" },
  { to: "/audit", label: "Audit", roles: ["admin", "risk_officer"] },
  { to: "/admin", label: "Administration", roles: ["admin"] },
];

function Shell() {
  const { user, expired, logout } = useSession();
  const [opened, { toggle, close }] = useDisclosure();
  const location = useLocation();
  if (!user) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/login?${expired ? "expired=1&" : ""}next=${next}`} replace />;
  }
  const active = (to: string) =>
    to === "/" ? location.pathname === "/" : location.pathname.startsWith(to);
  return (
    <AppShell
      header={{ height: 52 }}
      navbar={{ width: 200, breakpoint: "sm", collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" />
            <Title order={4}>TradeMaster</Title>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <AlertBell />
            <Text size="sm" c="dimmed" data-testid="current-user" visibleFrom="xs">
              {user.username}
            </Text>
            <Button size="xs" variant="default" onClick={logout}>
              Log out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs">
        {NAV.filter((item) => !item.roles || item.roles.some((r) => user.roles.includes(r))).map(
          (item) => (
          <NavLink
            key={item.to}
            component={Link}
            to={item.to}
            label={item.label}
            active={active(item.to)}
            onClick={close}
          />
          ),
        )}
      </AppShell.Navbar>
      <AppShell.Main>
        <Suspense fallback={<Loading label="Loading page…" />}>
          <Outlet />
        </Suspense>
      </AppShell.Main>
    </AppShell>
  );
}

export function App() {
  return (
    <SessionProvider>
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route element={<Shell />}>
          <Route index element={<DashboardPage />} />
          <Route path="strategies" element={<StrategiesPage />} />
          <Route path="strategies/new" element={<StrategyEditPage />} />
          <Route path="strategies/:id" element={<StrategyEditPage />} />
          <Route path="datasets" element={<DatasetsPage />} />
          <Route path="datasets/:id" element={<DatasetDetailPage />} />
          <Route path="jobs" element={<JobsPage />} />
          <Route path="jobs/:id" element={<JobDetailPage />} />
          <Route path="backtests" element={<BacktestsPage />} />
          <Route path="backtests/:id" element={<BacktestDetailPage />} />
          <Route path="risk" element={<RiskConsolePage />} />
          <Route path="risk/:accountId" element={<RiskConsolePage />} />
          <Route path="admin" element={<AdminPage />} />
          <Route path="alerts" element={<AlertsPage />} />
          <Route path="audit" element={<AuditPage />} />
          <Route path="models" element={<ModelsPage />} />
          <Route path="models/:id" element={<ModelDetailPage />} />
          <Route path="deployments" element={<DeploymentsPage />} />
          <Route path="deployments/:id" element={<DeploymentDetailPage />} />
          <Route path="*" element={<Navigate to="/" replace />} />
        </Route>
      </Routes>
    </SessionProvider>
  );
}
