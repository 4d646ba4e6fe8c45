import { createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";
import type { ReactNode } from "react";
import { useNavigate } from "react-router";
import {
  api,
  clearSession,
  setUnauthorizedHandler,
  storeSession,
  storedToken,
  storedUser,
} from "./api";
import type { User } from "./api";

interface Session {
  user: User | null;
  /** True after the gateway refused the stored token (expired, revoked or invalid). */
  expired: boolean;
  login: (username: string, password: string) => Promise<void>;
  logout: () => void;
}

const SessionContext = createContext<Session | null>(null);

/** The signed-in user; the JWT lives in sessionStorage so it ends with the tab. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(() => (storedToken() ? storedUser() : null));
  const [expired, setExpired] = useState(false);
  const navigate = useNavigate();

  const logout = useCallback(() => {
    clearSession();
    setUser(null);
    navigate("/login", { replace: true });
  }, [navigate]);

  // The shell redirects to the login page once the user is gone.
  useEffect(() => {
    setUnauthorizedHandler(() => {
      clearSession();
      setExpired(true);
      setUser(null);
    });
  }, []);

  const login = useCallback(async (username: string, password: string) => {
    const result = await api.login(username, password);
    storeSession(result);
    setExpired(false);
    setUser(result.user);
  }, []);

  const value = useMemo(
    () => ({ user, expired, login, logout }),
    [user, expired, login, logout],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession must be used inside SessionProvider");
  return session;
}
