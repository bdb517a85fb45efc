/** Plans and their limits: requests per rolling hour, exact. */
export const TIER_LIMITS = { free: 1_000, basic: 10_000, premium: 100_000 } as const;
export type Tier = keyof typeof TIER_LIMITS;
export const TIERS = Object.keys(TIER_LIMITS) as Tier[];
