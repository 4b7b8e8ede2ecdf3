// Tables of the fulfilment side (carriers, reservations, transfers, packages, decisions). Each table's
// interface is added to FulfilmentTables, which Database extends.

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by fulfilment migrations
export interface FulfilmentTables {}
