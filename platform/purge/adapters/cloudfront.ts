/**
 * CloudFront: CreateInvalidation through @aws-sdk/client-cloudfront, by path (CloudFront has no
 * tags on ordinary distributions; an asset's variants share the path prefix `/v1/…/img/{id}/`).
 * The CallerReference is the request's reference, so a retried purge is the same invalidation.
 */
import { CloudFrontClient, CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';
import { chunks, type CdnPurgeAdapter, type PurgeRequest } from '../types.ts';

/** Wildcard paths per invalidation (CloudFront allows 15 wildcard paths in progress). */
const PER_CALL = 15;

export interface CloudFrontSettings {
  distributionId: string;
}

export interface CloudFrontCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export function cloudFrontAdapter(settings: CloudFrontSettings, credentials: CloudFrontCredentials, endpoint?: string): CdnPurgeAdapter {
  return {
    provider: 'cloudfront',
    async purge(request: PurgeRequest) {
      const client = new CloudFrontClient({ region: 'us-east-1', credentials, endpoint, maxAttempts: 2 });
      try {
        for (const [index, paths] of chunks(request.paths, PER_CALL).entries()) {
          await client.send(
            new CreateInvalidationCommand({
              DistributionId: settings.distributionId,
              InvalidationBatch: {
                CallerReference: index === 0 ? request.reference : `${request.reference}-${index}`,
                Paths: { Quantity: paths.length, Items: paths },
              },
            }),
          );
        }
      } finally {
        client.destroy();
      }
    },
  };
}
