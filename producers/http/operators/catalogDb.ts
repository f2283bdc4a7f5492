// The operators' catalog in PostgreSQL (the relational product database): products, and
// the sales scheduled for them. The primary key of `scheduled_sales` is the atomic check
// that refuses a second POST /sales of one saleId, across every api process. Tables live in
// the connection's search_path schema, so a test's schema gets its own.
import type { Db } from '../../../platform/postgres.js';

export type Product = { productId: string; name: string; partnerId: string; priceMinor: number; currency: string };

const MIGRATION = `
  create table if not exists products (
    product_id  text primary key,
    name        text not null,
    partner_id  text not null,
    price_minor bigint not null check (price_minor >= 0),
    currency    char(3) not null,
    updated_at  timestamptz not null default now()
  );
  create table if not exists scheduled_sales (
    sale_id       text primary key,
    product_id    text not null references products (product_id),
    scheduled_by  text not null,
    scheduled_at  timestamptz not null default now()
  );
`;

/** Creates the catalog tables if they are missing; safe to run from several processes at once. */
export async function migrateCatalog(db: Db): Promise<void> {
  try {
    await db.query(MIGRATION);
  } catch (err) {
    // Two processes racing on "create table if not exists" can collide in the system
    // catalogs (unique_violation / duplicate_table); the loser finds the tables made.
    const code = (err as { code?: string }).code;
    if (code !== '23505' && code !== '42P07') throw err;
  }
}

/** Inserts or replaces a product; says whether it was new. */
export async function upsertProduct(db: Db, p: Product): Promise<{ created: boolean }> {
  const { rows } = await db.query<{ created: boolean }>(
    `insert into products (product_id, name, partner_id, price_minor, currency)
     values ($1, $2, $3, $4, $5)
     on conflict (product_id) do update
       set name = excluded.name, partner_id = excluded.partner_id, price_minor = excluded.price_minor,
           currency = excluded.currency, updated_at = now()
     returning (xmax = 0) as created`,
    [p.productId, p.name, p.partnerId, p.priceMinor, p.currency],
  );
  return { created: rows[0]?.created ?? false };
}

export async function findProduct(db: Db, productId: string): Promise<Product | undefined> {
  const { rows } = await db.query<{ product_id: string; name: string; partner_id: string; price_minor: string; currency: string }>(
    'select product_id, name, partner_id, price_minor, currency from products where product_id = $1',
    [productId],
  );
  const r = rows[0];
  return r && { productId: r.product_id, name: r.name, partnerId: r.partner_id, priceMinor: Number(r.price_minor), currency: r.currency };
}

/** Claims the saleId; 'taken' when some operator already scheduled it. */
export async function registerSale(
  db: Db,
  sale: { saleId: string; productId: string; scheduledBy: string },
): Promise<'registered' | 'taken'> {
  const { rowCount } = await db.query(
    'insert into scheduled_sales (sale_id, product_id, scheduled_by) values ($1, $2, $3) on conflict (sale_id) do nothing',
    [sale.saleId, sale.productId, sale.scheduledBy],
  );
  return rowCount === 1 ? 'registered' : 'taken';
}

/** Gives a saleId back when its SaleScheduled could not be published, so the operator can retry. */
export async function unregisterSale(db: Db, saleId: string): Promise<void> {
  await db.query('delete from scheduled_sales where sale_id = $1', [saleId]);
}

export async function isSaleRegistered(db: Db, saleId: string): Promise<boolean> {
  const { rowCount } = await db.query('select 1 from scheduled_sales where sale_id = $1', [saleId]);
  return rowCount === 1;
}

/** The sales scheduled through the API lately, newest first: the dashboard's candidates for "open". */
export async function recentlyScheduledSales(db: Db, { sinceMs, limit }: { sinceMs: number; limit: number }): Promise<string[]> {
  const { rows } = await db.query<{ sale_id: string }>(
    'select sale_id from scheduled_sales where scheduled_at >= $1 order by scheduled_at desc limit $2',
    [new Date(sinceMs), limit],
  );
  return rows.map((r) => r.sale_id);
}
