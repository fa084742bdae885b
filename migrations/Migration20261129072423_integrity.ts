import { Migration } from '@mikro-orm/migrations';

/**
 * Snapshot.integrity (UNVERIFIED until hashed), when it was last hashed, what differed,
 * and the claim of a verify in progress; an index for the verify job's order.
 */
export class Migration20261129072423_integrity extends Migration {

  override name = 'Migration20261129072423_integrity';

  override up(): void | Promise<void> {
    this.addSql(`alter table "snapshot" add "integrity" text not null default 'UNVERIFIED', add "verified_at" timestamptz null, add "integrity_message" text null, add "verifying_since" timestamptz null;`);
    this.addSql(`create index "snapshot_verify_order_idx" on "snapshot" ("verified_at", "finished_at") where status in ('COMPLETED', 'PARTIALLY_FAILED');`);
    this.addSql(`alter table "snapshot" add constraint "snapshot_integrity_check" check ("integrity" in ('UNVERIFIED', 'VERIFIED', 'MISMATCH'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "snapshot_verify_order_idx";`);
    this.addSql(`alter table "snapshot" drop constraint "snapshot_integrity_check";`);
    this.addSql(`alter table "snapshot" drop column "integrity", drop column "verified_at", drop column "integrity_message", drop column "verifying_since";`);
  }

}
