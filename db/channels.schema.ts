// Tables of the channel side (shops' credentials, pull cursors, write-backs). Each table's interface is
// added to ChannelTables, which Database extends.

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by channel migrations
export interface ChannelTables {}
