CREATE TABLE "agents" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"token_hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "camera_transitions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"camera_code" text NOT NULL,
	"from_state" text NOT NULL,
	"to_state" text NOT NULL,
	"at" timestamp (3) with time zone NOT NULL,
	"since" timestamp (3) with time zone NOT NULL,
	"fault" text,
	"reason" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cameras" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"grid_id" text NOT NULL,
	"site_id" text,
	"latitude" double precision,
	"longitude" double precision,
	"host" text NOT NULL,
	"onvif_port" integer DEFAULT 80 NOT NULL,
	"onvif_path" text DEFAULT '/onvif/device_service' NOT NULL,
	"rtsp_port" integer DEFAULT 554 NOT NULL,
	"rtsp_path" text DEFAULT '/' NOT NULL,
	"vendor" text,
	"username" text NOT NULL,
	"password_enc" text NOT NULL,
	"agent_id" text
);
--> statement-breakpoint
CREATE TABLE "communities" (
	"id" text PRIMARY KEY NOT NULL,
	"town_id" text NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "grids" (
	"id" text PRIMARY KEY NOT NULL,
	"community_id" text NOT NULL,
	"town_id" text NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ingest_batches" (
	"agent_id" text NOT NULL,
	"seq" bigint NOT NULL,
	"received_at" timestamp (3) with time zone NOT NULL,
	"accepted" integer NOT NULL,
	"refused" integer NOT NULL,
	CONSTRAINT "ingest_batches_agent_id_seq_pk" PRIMARY KEY("agent_id","seq")
);
--> statement-breakpoint
CREATE TABLE "meta" (
	"key" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"username" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "towns" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"username" text PRIMARY KEY NOT NULL,
	"display_name" text NOT NULL,
	"password_hash" text NOT NULL,
	"role" text NOT NULL,
	"towns" text[] DEFAULT '{}'::text[] NOT NULL,
	"grids" text[] DEFAULT '{}'::text[] NOT NULL
);
--> statement-breakpoint
ALTER TABLE "cameras" ADD CONSTRAINT "cameras_grid_id_grids_id_fk" FOREIGN KEY ("grid_id") REFERENCES "public"."grids"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cameras" ADD CONSTRAINT "cameras_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "communities" ADD CONSTRAINT "communities_town_id_towns_id_fk" FOREIGN KEY ("town_id") REFERENCES "public"."towns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grids" ADD CONSTRAINT "grids_community_id_communities_id_fk" FOREIGN KEY ("community_id") REFERENCES "public"."communities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grids" ADD CONSTRAINT "grids_town_id_towns_id_fk" FOREIGN KEY ("town_id") REFERENCES "public"."towns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_username_users_username_fk" FOREIGN KEY ("username") REFERENCES "public"."users"("username") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "camera_transitions_camera_at_idx" ON "camera_transitions" USING btree ("camera_code","at");--> statement-breakpoint
CREATE INDEX "camera_transitions_at_idx" ON "camera_transitions" USING btree ("at");--> statement-breakpoint
CREATE INDEX "cameras_grid_idx" ON "cameras" USING btree ("grid_id");--> statement-breakpoint
CREATE INDEX "cameras_agent_idx" ON "cameras" USING btree ("agent_id");--> statement-breakpoint
CREATE INDEX "grids_town_idx" ON "grids" USING btree ("town_id");