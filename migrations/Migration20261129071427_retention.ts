import { Migration } from '@mikro-orm/migrations';

/**
 * Retention grows from two flat limits into keep rules (grandfather-father-son)
 * and a rule of its own for failed snapshots. The old limits keep their data:
 * `retention_max_snapshots` becomes `retention_keep_last` (renamed in place), and
 * `retention_max_age_seconds` keeps its column, now `retention.maxAgeSeconds`.
 * Existing policies get keepFailed's defaults: the last 10, at most 7 days.
 */
export class Migration20261129071427_retention extends Migration {

  override name = 'Migration20261129071427_retention';

  override up(): void | Promise<void> {
    this.addSql(`alter table "virtual_cluster" add "policy_retention_keep_hourly" int null, add "policy_retention_keep_daily" int null, add "policy_retention_keep_weekly" int null, add "policy_retention_keep_monthly" int null, add "policy_retention_keep_yearly" int null, add "policy_retention_keep_failed_last" int not null default 10, add "policy_retention_keep_failed_max_age_seconds" int not null default 604800;`);
    this.addSql(`alter table "virtual_cluster" rename column "policy_retention_max_snapshots" to "policy_retention_keep_last";`);
  }

  /**
   * Back to one count, never deleting more than the new rules kept: a policy with a
   * calendar rule keeps every snapshot (its age limit still applies), and keepLast 0
   * (nothing but the newest) becomes 1, the old code's smallest count.
   */
  override down(): void | Promise<void> {
    this.addSql(`update "virtual_cluster" set "policy_retention_keep_last" = case
      when coalesce("policy_retention_keep_hourly", "policy_retention_keep_daily", "policy_retention_keep_weekly", "policy_retention_keep_monthly", "policy_retention_keep_yearly") is not null then null
      when "policy_retention_keep_last" = 0 then 1
      else "policy_retention_keep_last" end;`);
    this.addSql(`alter table "virtual_cluster" drop column "policy_retention_keep_hourly", drop column "policy_retention_keep_daily", drop column "policy_retention_keep_weekly", drop column "policy_retention_keep_monthly", drop column "policy_retention_keep_yearly", drop column "policy_retention_keep_failed_last", drop column "policy_retention_keep_failed_max_age_seconds";`);
    this.addSql(`alter table "virtual_cluster" rename column "policy_retention_keep_last" to "policy_retention_max_snapshots";`);
  }

}
