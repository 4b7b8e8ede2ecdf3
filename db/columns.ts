// Column types shared by the table declarations (schema.ts, channels.schema.ts, fulfilment.schema.ts). They
// live apart from schema.ts, which imports the other two, so that no table file has to import it back.
import type { ColumnType } from 'kysely';

export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
export type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
export type Json<T = unknown> = ColumnType<T, string, string>;
