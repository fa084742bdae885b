import { Migration } from '@mikro-orm/migrations';

/**
 * Storage locations replace per-policy storage targets. Written by hand: the
 * generated diff would drop the old columns and lose where archives are.
 *
 * Every distinct `policy_storage_target` and `snapshot.storage_target` becomes a
 * location named `legacy-<n>` (S3 ones with the S3_* defaults for endpoint and
 * credentials; absolute directories kept as they are, usable only inside
 * LOCAL_STORAGE_ROOT), open only to the projects that used it. A `default`
 * LOCAL location at the root takes the place of DEFAULT_STORAGE_TARGET.
 */
export class Migration20261129053316_storage_locations extends Migration {

  override name = 'Migration20261129053316_storage_locations';

  override up(): void | Promise<void> {
    this.addSql(`create table "storage_location" ("id" uuid not null, "name" varchar(63) not null, "kind" text not null, "bucket" varchar(63) null, "prefix" text null, "endpoint" text null, "region" varchar(64) null, "path_style" boolean null, "credentials_source" text null, "credentials_env_prefix" varchar(64) null, "credentials_secret" varchar(253) null, "directory" text null, "allowed_project_ids" text[] null, "is_default" boolean not null default false, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "storage_location" add constraint "storage_location_name_unique" unique ("name");`);
    this.addSql(`create unique index "storage_location_one_default" on "storage_location" ("is_default") where is_default;`);
    this.addSql(`alter table "storage_location" add constraint "storage_location_kind_check" check ("kind" in ('S3', 'LOCAL'));`);
    this.addSql(`alter table "storage_location" add constraint "storage_location_credentials_source_check" check ("credentials_source" in ('DEFAULT', 'ENVIRONMENT', 'SECRET'));`);

    this.addSql(`alter table "virtual_cluster" add "policy_storage_location_id" uuid null;`);
    this.addSql(`alter table "virtual_cluster" add constraint "virtual_cluster_policy_storage_location_id_foreign" foreign key ("policy_storage_location_id") references "storage_location" ("id") on delete restrict;`);
    this.addSql(`alter table "snapshot" add "storage_location_id" uuid null;`);
    this.addSql(`alter table "snapshot" add constraint "snapshot_storage_location_id_foreign" foreign key ("storage_location_id") references "storage_location" ("id") on delete set null;`);
    this.addSql(`create index "snapshot_storage_location_idx" on "snapshot" ("storage_location_id");`);

    // The old default (DEFAULT_STORAGE_TARGET unset) was <VSNAP_DATA_DIR>/snapshots, the new root.
    this.addSql(`insert into "storage_location" ("id", "name", "kind", "directory", "is_default", "created_at", "updated_at") values (gen_random_uuid(), 'default', 'LOCAL', '', true, now(), now());`);

    // One location per distinct target, remembered in a temporary column to set the references.
    this.addSql(`alter table "storage_location" add "legacy_target" text null;`);
    this.addSql(`
      with used as (
        select "policy_storage_target" as target, "project_id" from "virtual_cluster" where "policy_storage_target" is not null
        union all
        select "storage_target", "project_id" from "snapshot" where "storage_target" is not null
      ), targets as (
        select target, array_agg(distinct "project_id" order by "project_id") as projects, row_number() over (order by target) as n
        from used group by target
      ), parsed as (
        select target, projects, n, target like 's3://%' as s3, split_part(substr(target, 6), '/', 1) as bucket,
          substr(target, 6 + length(split_part(substr(target, 6), '/', 1))) as rest
        from targets
      )
      insert into "storage_location" ("id", "name", "kind", "bucket", "prefix", "credentials_source", "directory", "allowed_project_ids", "is_default", "created_at", "updated_at", "legacy_target")
      select gen_random_uuid(), 'legacy-' || n,
        case when s3 then 'S3' else 'LOCAL' end,
        case when s3 then bucket end,
        case when s3 then trim(both '/' from regexp_replace(rest, '/+', '/', 'g')) end,
        case when s3 then 'DEFAULT' end,
        case when s3 then null else target end,
        projects, false, now(), now(), target
      from parsed;`);
    this.addSql(`update "virtual_cluster" c set "policy_storage_location_id" = l."id" from "storage_location" l where l."legacy_target" = c."policy_storage_target";`);
    this.addSql(`update "snapshot" s set "storage_location_id" = l."id" from "storage_location" l where l."legacy_target" = s."storage_target";`);
    this.addSql(`alter table "storage_location" drop column "legacy_target";`);

    this.addSql(`alter table "virtual_cluster" drop column "policy_storage_target";`);
    this.addSql(`alter table "snapshot" drop column "storage_target";`);
  }

  /**
   * Back to storage targets: S3 locations as `s3://bucket/prefix`, absolute
   * directories as they are. A relative directory has no target without the
   * root, so it becomes null (DEFAULT_STORAGE_TARGET): lossy by necessity.
   */
  override down(): void | Promise<void> {
    const target = `case when l."kind" = 'S3' then 's3://' || l."bucket" || case when coalesce(l."prefix", '') = '' then '' else '/' || l."prefix" end when l."directory" like '/%' then l."directory" end`;
    this.addSql(`alter table "virtual_cluster" add "policy_storage_target" text null;`);
    this.addSql(`alter table "snapshot" add "storage_target" text null;`);
    this.addSql(`update "virtual_cluster" c set "policy_storage_target" = ${target} from "storage_location" l where l."id" = c."policy_storage_location_id";`);
    this.addSql(`update "snapshot" s set "storage_target" = ${target} from "storage_location" l where l."id" = s."storage_location_id";`);

    this.addSql(`alter table "virtual_cluster" drop constraint "virtual_cluster_policy_storage_location_id_foreign";`);
    this.addSql(`alter table "snapshot" drop constraint "snapshot_storage_location_id_foreign";`);
    this.addSql(`drop index "snapshot_storage_location_idx";`);
    this.addSql(`alter table "snapshot" drop column "storage_location_id";`);
    this.addSql(`alter table "virtual_cluster" drop column "policy_storage_location_id";`);
    this.addSql(`drop table if exists "storage_location" cascade;`);
  }

}
