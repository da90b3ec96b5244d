CREATE TABLE "camera_streaks" (
	"camera_code" text PRIMARY KEY NOT NULL,
	"fail_streak" integer NOT NULL,
	"ok_streak" integer NOT NULL,
	"streak_start" timestamp (3) with time zone NOT NULL,
	"last_success_at" timestamp (3) with time zone,
	"last_result_at" timestamp (3) with time zone NOT NULL,
	"seen_at" timestamp (3) with time zone NOT NULL
);
