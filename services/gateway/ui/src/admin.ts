/** Calls of the admin REST API (`/api/v1/admin/...`): users, service tokens, audit log. */
import { request } from "./api";

export const ROLES = ["viewer", "researcher", "trader", "risk_officer", "admin"] as const;

export interface AdminUser {
  id: string;
  username: string;
  roles: string[];
  disabled: boolean;
  created_at: string;
}

export interface ServiceToken {
  id: string;
  name: string;
  scopes: string[];
  roles: string[];
  creator_id: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor_id: string;
  action: string;
  target_id: string;
  detail: Record<string, unknown>;
}

const enc = encodeURIComponent;
const BASE = "/api/v1/admin";

export const admin = {
  listUsers: (signal?: AbortSignal) =>
    request<{ users: AdminUser[] }>("GET", `${BASE}/users?page_size=500`, undefined, signal),
  createUser: (username: string, password: string, roles: string[]) =>
    request<AdminUser>("POST", `${BASE}/users`, { username, password, roles }),
  updateUser: (id: string, patch: { roles?: string[]; disabled?: boolean }) =>
    request<AdminUser>("PATCH", `${BASE}/users/${enc(id)}`, patch),
  resetPassword: (id: string, password: string) =>
    request<AdminUser>("POST", `${BASE}/users/${enc(id)}:reset-password`, { password }),
  listTokens: (signal?: AbortSignal) =>
    request<{ service_tokens: ServiceToken[] }>(
      "GET",
      `${BASE}/service-tokens?page_size=500&include_inactive=true`,
      undefined,
      signal,
    ),
  createToken: (name: string, scopes: string[], ttlDays: number) =>
    request<{ token: string; service_token: ServiceToken }>("POST", `${BASE}/service-tokens`, {
      name,
      scopes,
      ttl_days: ttlDays,
    }),
  revokeToken: (id: string) =>
    request<ServiceToken>("POST", `${BASE}/service-tokens/${enc(id)}:revoke`),
  audit: (signal?: AbortSignal) =>
    request<{ entries: AuditEntry[] }>("GET", `${BASE}/audit?page_size=100`, undefined, signal),
};

/** Every scope a service token may carry, from the OpenAPI document (the gateway derives it
 * from the one authorization table, so the UI never keeps its own copy). */
export async function tokenScopes(signal?: AbortSignal): Promise<string[]> {
  const doc = await request<{
    components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
  }>("GET", "/openapi.json", undefined, signal);
  const scopes = doc.components.schemas.TokenCreate?.properties?.scopes as
    | { items?: { enum?: string[] } }
    | undefined;
  return scopes?.items?.enum ?? [];
}
