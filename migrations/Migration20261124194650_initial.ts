import { Migration } from '@mikro-orm/migrations';

export class Migration20261124194650_initial extends Migration {

  override name = 'Migration20261124194650_initial';

  override up(): void | Promise<void> {
    this.addSql(`create table "snapshot_event" ("id" bigserial primary key, "subject" text not null, "snapshot_id" uuid not null, "volume_snapshot_id" uuid null, "virtual_cluster_id" uuid not null, "project_id" varchar(63) not null, "from_state" varchar(32) null, "to_state" varchar(32) not null, "message" text null, "at" timestamptz not null);`);
    this.addSql(`create index "snapshot_event_snapshot_idx" on "snapshot_event" ("snapshot_id", "id");`);
    this.addSql(`create index "snapshot_event_cluster_idx" on "snapshot_event" ("virtual_cluster_id", "id");`);
    this.addSql(`create index "snapshot_event_project_idx" on "snapshot_event" ("project_id", "id");`);

    this.addSql(`create table "virtual_cluster" ("id" uuid not null, "name" varchar(63) not null, "project_id" varchar(63) not null, "kubeconfig_inline" text null, "kubeconfig_secret_ref" varchar(253) null, "policy_enabled" boolean not null default false, "policy_schedule" varchar(120) null, "policy_time_zone" varchar(64) not null default 'UTC', "policy_retention_max_snapshots" int null, "policy_retention_max_age_seconds" int null, "policy_storage_target" text null, "policy_volume_snapshots_enabled" boolean not null default false, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "virtual_cluster_project_idx" on "virtual_cluster" ("project_id");`);
    this.addSql(`alter table "virtual_cluster" add constraint "virtual_cluster_project_name_unique" unique ("project_id", "name");`);

    this.addSql(`create table "snapshot" ("id" uuid not null, "virtual_cluster_id" uuid not null, "project_id" varchar(63) not null, "name" varchar(120) not null, "status" text not null default 'SCHEDULED', "trigger" text not null, "volume_snapshots_enabled" boolean not null, "scheduled_at" timestamptz not null, "started_at" timestamptz null, "finished_at" timestamptz null, "location" text null, "size_bytes" bigint null, "sha256" varchar(64) null, "object_count" int null, "message" text null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "snapshot_cluster_newest_idx" on "snapshot" ("virtual_cluster_id", "scheduled_at", "id");`);
    this.addSql(`alter table "snapshot" add constraint "snapshot_cluster_name_unique" unique ("virtual_cluster_id", "name");`);
    this.addSql(`create unique index "snapshot_one_scheduled_per_cluster" on "snapshot" ("virtual_cluster_id") where status = 'SCHEDULED';`);

    this.addSql(`create table "volume_snapshot" ("id" uuid not null, "snapshot_id" uuid not null, "namespace" varchar(63) not null, "pvc_name" varchar(253) not null, "phase" text not null default 'NOT_STARTED', "driver" varchar(253) null, "volume_snapshot_class" varchar(253) null, "snapshot_handle" text null, "restore_size_bytes" bigint null, "message" text null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "volume_snapshot" add constraint "volume_snapshot_pvc_unique" unique ("snapshot_id", "namespace", "pvc_name");`);

    this.addSql(`alter table "snapshot_event" add constraint "snapshot_event_subject_check" check ("subject" in ('SNAPSHOT', 'VOLUME_SNAPSHOT'));`);

    this.addSql(`alter table "snapshot" add constraint "snapshot_virtual_cluster_id_foreign" foreign key ("virtual_cluster_id") references "virtual_cluster" ("id") on delete cascade;`);
    this.addSql(`alter table "snapshot" add constraint "snapshot_status_check" check ("status" in ('SCHEDULED', 'IN_PROGRESS', 'COMPLETED', 'PARTIALLY_FAILED', 'FAILED', 'NOT_FOUND'));`);
    this.addSql(`alter table "snapshot" add constraint "snapshot_trigger_check" check ("trigger" in ('SCHEDULE', 'MANUAL'));`);

    this.addSql(`alter table "volume_snapshot" add constraint "volume_snapshot_snapshot_id_foreign" foreign key ("snapshot_id") references "snapshot" ("id") on delete cascade;`);
    this.addSql(`alter table "volume_snapshot" add constraint "volume_snapshot_phase_check" check ("phase" in ('NOT_STARTED', 'SKIPPED', 'IN_PROGRESS', 'COMPLETED_CLEANING_UP', 'FAILED_CLEANING_UP', 'COMPLETED', 'FAILED'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "snapshot" drop constraint "snapshot_virtual_cluster_id_foreign";`);
    this.addSql(`alter table "volume_snapshot" drop constraint "volume_snapshot_snapshot_id_foreign";`);

    this.addSql(`drop table if exists "snapshot_event" cascade;`);
    this.addSql(`drop table if exists "virtual_cluster" cascade;`);
    this.addSql(`drop table if exists "snapshot" cascade;`);
    this.addSql(`drop table if exists "volume_snapshot" cascade;`);
  }

}
