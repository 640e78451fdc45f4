/** Where a request was sent: the part of it a public URL is built from. */
export interface RequestOrigin {
  protocol: string;
  host: string;
}

/** The configured public base URL (CDN), else the scheme and host this request was sent to. */
export function baseUrlFor(request: RequestOrigin, configured: string | undefined): string {
  return configured ?? `${request.protocol}://${request.host}`;
}
