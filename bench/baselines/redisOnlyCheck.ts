// The Redis-only baseline's invariants, checked after each measured round from what its
// store holds and what the load generator was answered: grants never past the stock, no
// user granted twice. Without a log, counts are all there is to check against.

export type RedisOnlyRound = {
  stock: number;
  stockLeft: number;
  /** Users the store remembers as holding a unit. */
  holders: number;
  /** Claims answered 201. */
  answeredGranted: number;
};

export function redisOnlyViolations({ stock, stockLeft, holders, answeredGranted }: RedisOnlyRound): string[] {
  const taken = stock - stockLeft;
  return [
    ...(stockLeft < 0 ? [`stock went negative: ${stockLeft}`] : []),
    ...(holders > stock ? [`${holders} users hold a unit, stock is ${stock}`] : []),
    // Each unit taken goes with one user remembered: more units than users is a user served twice.
    ...(taken !== holders ? [`stock fell by ${taken} but ${holders} users hold a unit`] : []),
    // Fewer 201s than holders is an answer lost on the way (a timeout); more is a user told "granted" twice.
    ...(answeredGranted > holders ? [`${answeredGranted} claims answered granted, ${holders} users hold a unit`] : []),
  ];
}
