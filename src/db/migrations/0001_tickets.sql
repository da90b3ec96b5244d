CREATE TABLE "maintenance_windows" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"camera_codes" text[] DEFAULT '{}'::text[] NOT NULL,
	"site_id" text,
	"grid_id" text,
	"starts_at" timestamp (3) with time zone NOT NULL,
	"ends_at" timestamp (3) with time zone NOT NULL,
	"note" text NOT NULL,
	"created_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "notify_outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"event_key" text NOT NULL,
	"target" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"delivered_at" timestamp (3) with time zone,
	"failed_at" timestamp (3) with time zone,
	"last_error" text
);
--> statement-breakpoint
CREATE TABLE "ticket_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"ticket_id" integer NOT NULL,
	"rev" integer NOT NULL,
	"type" text NOT NULL,
	"at" timestamp (3) with time zone NOT NULL,
	"actor" text NOT NULL,
	"data" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tickets" (
	"id" integer PRIMARY KEY NOT NULL,
	"rev" integer NOT NULL,
	"kind" text NOT NULL,
	"source" text NOT NULL,
	"state" text NOT NULL,
	"town_id" text NOT NULL,
	"grid_id" text NOT NULL,
	"site_id" text,
	"fault" text,
	"category" text NOT NULL,
	"camera_codes" text[] NOT NULL,
	"sla_breached" boolean NOT NULL,
	"unstable" boolean NOT NULL,
	"crew" text,
	"opened_at" timestamp (3) with time zone NOT NULL,
	"resolved_at" timestamp (3) with time zone,
	"repair_ms" bigint,
	"cause" text,
	"data" jsonb NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "notify_outbox_event_target_idx" ON "notify_outbox" USING btree ("event_key","target");--> statement-breakpoint
CREATE INDEX "notify_outbox_pending_idx" ON "notify_outbox" USING btree ("delivered_at","failed_at");--> statement-breakpoint
CREATE UNIQUE INDEX "ticket_events_ticket_rev_idx" ON "ticket_events" USING btree ("ticket_id","rev");--> statement-breakpoint
CREATE INDEX "tickets_state_town_idx" ON "tickets" USING btree ("state","town_id");--> statement-breakpoint
CREATE INDEX "tickets_opened_idx" ON "tickets" USING btree ("opened_at");--> statement-breakpoint
CREATE INDEX "tickets_resolved_idx" ON "tickets" USING btree ("resolved_at");