import { createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";
import type { ReactNode } from "react";
import { useLocation, useNavigate } from "react-router";
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
  login: (username: string, password: string) => Promise<void>;
  logout: () => void;
}

const SessionContext = createContext<Session | null>(null);

/** The signed-in user; the JWT lives in sessionStorage so it ends with the tab. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(() => (storedToken() ? storedUser() : null));
  const navigate = useNavigate();
  const location = useLocation();

  const logout = useCallback(() => {
    clearSession();
    setUser(null);
    navigate("/login", { replace: true });
  }, [navigate]);

  useEffect(() => {
    setUnauthorizedHandler(() => {
      clearSession();
      setUser(null);
      const next = location.pathname + location.search;
      navigate(`/login?expired=1&next=${encodeURIComponent(next)}`, { replace: true });
    });
  }, [navigate, location]);

  const login = useCallback(async (username: string, password: string) => {
    const result = await api.login(username, password);
    storeSession(result);
    setUser(result.user);
  }, []);

  const value = useMemo(() => ({ user, login, logout }), [user, login, logout]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession must be used inside SessionProvider");
  return session;
}
