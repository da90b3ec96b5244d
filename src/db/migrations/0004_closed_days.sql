CREATE TABLE "camera_days" (
	"day" text NOT NULL,
	"camera_code" text NOT NULL,
	"grid_id" text NOT NULL,
	"online_ms" bigint NOT NULL,
	"offline_ms" bigint NOT NULL,
	"unknown_ms" bigint NOT NULL,
	"maintenance_ms" bigint NOT NULL,
	"outages" integer NOT NULL,
	"longest_outage_ms" bigint NOT NULL,
	"fault_ms" jsonb NOT NULL,
	CONSTRAINT "camera_days_day_camera_code_pk" PRIMARY KEY("day","camera_code")
);
--> statement-breakpoint
CREATE TABLE "closed_days" (
	"day" text PRIMARY KEY NOT NULL,
	"day_start" timestamp (3) with time zone NOT NULL,
	"closed_at" timestamp (3) with time zone NOT NULL,
	"cameras" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "grid_days" (
	"day" text NOT NULL,
	"grid_id" text NOT NULL,
	"online_ms" bigint NOT NULL,
	"offline_ms" bigint NOT NULL,
	"unknown_ms" bigint NOT NULL,
	"maintenance_ms" bigint NOT NULL,
	"cameras" integer NOT NULL,
	CONSTRAINT "grid_days_day_grid_id_pk" PRIMARY KEY("day","grid_id")
);
--> statement-breakpoint
CREATE TABLE "retired_cameras" (
	"code" text PRIMARY KEY NOT NULL,
	"grid_id" text NOT NULL,
	"site_id" text,
	"agent_id" text,
	"retired_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "camera_days_camera_idx" ON "camera_days" USING btree ("camera_code","day");