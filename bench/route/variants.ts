/** The route bench's servers (server.ts) and what they share with the suite. */
export const ROUTE_VARIANTS = ['ceiling', 'uncached', 'hit', 'hit-near', 'cold'] as const
export type RouteVariant = typeof ROUTE_VARIANTS[number]
/** Where the `cold` servers record each handler run's start time. */
export const RUNS_KEY = 'bench:route:runs'
