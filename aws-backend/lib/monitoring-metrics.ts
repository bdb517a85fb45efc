/** Custom metrics the Lambdas publish and the dashboard reads (kept free of CDK imports for the Lambda bundles). */
export const ITEMS_ANALYSED_METRIC = { namespace: "AuraStream", metricName: "ItemsAnalysed" } as const;
