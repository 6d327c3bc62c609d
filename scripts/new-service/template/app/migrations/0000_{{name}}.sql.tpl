-- The {{name}} service's first migration (as drizzle-kit writes it): the sample handler's table.
CREATE TABLE "received_orders" (
	"order_id" uuid PRIMARY KEY NOT NULL,
	"message_id" text NOT NULL,
	"total" numeric(14, 2) NOT NULL,
	"currency" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
