// Laravel LengthAwarePaginator + Fractal's ArraySerializer::paginator (panel-api.md §2.3, §3.2).

export interface PaginationMeta {
  total: number;
  count: number;
  per_page: number;
  current_page: number;
  total_pages: number;
  links: { previous?: string; next?: string };
}

const PHP_NUMERIC = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;

/**
 * `paginate(min($request->query('per_page', DEFAULT), MAX))` with PHP 8 comparison rules:
 * - absent → the default; empty (ConvertEmptyStringsToNull) or 0 → the model default of 15;
 * - numeric → min(value, max), truncated; a negative value removes the limit (all rows on one page);
 * - non-numeric → compared as strings with MAX: greater gives MAX, smaller breaks the query ('error').
 */
export function resolvePerPage(
  raw: string | null | undefined,
  def: number,
  max: number,
  modelDefault = 15,
): number | 'error' {
  if (raw === undefined) return def;
  if (raw === null) return modelDefault;
  if (PHP_NUMERIC.test(raw)) {
    const v = Math.trunc(Math.min(Number(raw), max));
    return v === 0 ? modelDefault : v;
  }
  return raw > String(max) ? max : 'error';
}

/** Paginator::resolveCurrentPage: FILTER_VALIDATE_INT and >= 1, else 1. */
export function resolvePage(raw: string | null | undefined): number {
  if (raw === undefined || raw === null) return 1;
  if (!/^\s*[+-]?(0|[1-9]\d*)\s*$/.test(raw)) return 1;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= 1 ? n : 1;
}

/**
 * One page of `items`. `pathUrl` is the absolute request URL without query; links carry only `?page=N`
 * (the paginator is not told to keep other query parameters, so per_page is lost).
 */
export function paginate<T>(
  items: readonly T[],
  perPage: number,
  page: number,
  pathUrl: string,
): { items: T[]; pagination: PaginationMeta } {
  const total = items.length;
  const slice = perPage < 0 ? items.slice() : items.slice((page - 1) * perPage, page * perPage);
  const totalPages = perPage < 0 ? 1 : Math.max(Math.ceil(total / perPage), 1);
  const links: PaginationMeta['links'] = {};
  if (page > 1) links.previous = `${pathUrl}?page=${page - 1}`;
  if (page < totalPages) links.next = `${pathUrl}?page=${page + 1}`;
  return {
    items: slice,
    pagination: {
      total,
      count: slice.length,
      per_page: perPage,
      current_page: page,
      total_pages: totalPages,
      links,
    },
  };
}
