/** The API's version, reported by /health and in OpenAPI. */
export const API_VERSION = "0.1.0";
