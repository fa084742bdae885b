import { Migration } from '@mikro-orm/migrations';

export class Migration20261129123639_project_summary extends Migration {

  override name = 'Migration20261129123639_project_summary';

  override up(): void | Promise<void> {
    this.addSql(`create index "snapshot_project_status_idx" on "snapshot" ("project_id", "status", "finished_at");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "snapshot_project_status_idx";`);
  }

}
