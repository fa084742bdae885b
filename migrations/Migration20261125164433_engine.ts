import { Migration } from '@mikro-orm/migrations';

export class Migration20261125164433_engine extends Migration {

  override name = 'Migration20261125164433_engine';

  override up(): void | Promise<void> {
    this.addSql(`alter table "snapshot" add "storage_target" text null, add "upload_id" text null, add "heartbeat_at" timestamptz null, add "resource_counts" jsonb null;`);
    this.addSql(`create unique index "snapshot_one_in_progress_per_cluster" on "snapshot" ("virtual_cluster_id") where status = 'IN_PROGRESS';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "snapshot_one_in_progress_per_cluster";`);
    this.addSql(`alter table "snapshot" drop column "storage_target", drop column "upload_id", drop column "heartbeat_at", drop column "resource_counts";`);
  }

}
