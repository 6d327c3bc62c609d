CREATE TABLE "notifications" (
	"id" uuid PRIMARY KEY NOT NULL,
	"order_id" uuid NOT NULL,
	"message_id" text NOT NULL,
	"channel" text NOT NULL,
	"recipient" text NOT NULL,
	"attempts" integer NOT NULL,
	"status" text NOT NULL,
	"provider_message_id" text NOT NULL,
	"sent_at" timestamp with time zone NOT NULL
);
