CREATE TABLE "schedule_cancellations" (
	"token" text PRIMARY KEY NOT NULL,
	"cancelled_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "saga_history" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"saga_type" text NOT NULL,
	"saga_key" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"message_type" text,
	"message_id" text,
	"from_state" text,
	"to_state" text NOT NULL,
	"note" text
);
--> statement-breakpoint
CREATE TABLE "sagas" (
	"saga_type" text NOT NULL,
	"saga_key" text NOT NULL,
	"state" text NOT NULL,
	"data" jsonb NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"waiting_for" text,
	"schedules" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	CONSTRAINT "sagas_saga_type_saga_key_pk" PRIMARY KEY("saga_type","saga_key")
);
--> statement-breakpoint
CREATE INDEX "saga_history_instance_idx" ON "saga_history" USING btree ("saga_type","saga_key","seq");--> statement-breakpoint
CREATE INDEX "sagas_in_flight_idx" ON "sagas" USING btree ("started_at") WHERE "sagas"."completed_at" is null;