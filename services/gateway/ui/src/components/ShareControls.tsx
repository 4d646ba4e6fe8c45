import { Badge, Button, SegmentedControl } from "@mantine/core";
import { useState } from "react";
import { useSession } from "../session";
import type { ShareKind } from "../shares";
import { ShareDialog } from "./ShareDialog";

/** True when the signed-in user owns a resource (only owners share it here). */
export function useOwns(ownerId: string | undefined): boolean {
  const { user } = useSession();
  return Boolean(user && ownerId && user.id === ownerId);
}

/** True when the signed-in user may change a resource: its owner or an admin (a user it is
 * shared with only reads it, so the page hides its controls). */
export function useMayChange(ownerId: string | undefined): boolean {
  const { user } = useSession();
  const owns = useOwns(ownerId);
  return owns || Boolean(user?.roles.includes("admin"));
}

/** Which list a page shows: the caller's own resources or those others shared with them. */
export type ListView = "mine" | "shared";

/** The "Mine / Shared with me" switch above a list. */
export function ViewToggle({
  value,
  onChange,
  testId,
}: {
  value: ListView;
  onChange: (view: ListView) => void;
  testId: string;
}) {
  return (
    <SegmentedControl
      value={value}
      onChange={(v) => onChange(v as ListView)}
      data={[
        { value: "mine", label: "Mine" },
        { value: "shared", label: "Shared with me" },
      ]}
      style={{ alignSelf: "flex-start" }}
      data-testid={testId}
    />
  );
}

/** On a detail page: "Share" for the owner, a "Shared with you" badge for anyone else who can
 * read it (a user it is shared with, or a role that reads every owner's). */
export function ShareControls({
  kind,
  id,
  name,
  ownerId,
}: {
  kind: ShareKind;
  id: string;
  name: string;
  ownerId: string;
}) {
  const owns = useOwns(ownerId);
  const [open, setOpen] = useState(false);
  if (!owns) {
    return (
      <Badge variant="light" color="gray" data-testid="read-only-badge">
        Another user's (read-only)
      </Badge>
    );
  }
  return (
    <>
      <Button variant="default" onClick={() => setOpen(true)} data-testid="share-button">
        Share
      </Button>
      {open && <ShareDialog kind={kind} id={id} name={name} onClose={() => setOpen(false)} />}
    </>
  );
}
