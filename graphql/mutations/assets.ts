/** softDeleteAsset: the GraphQL twin of DELETE /v1/assets/{id}. */
import { requireScope } from '../../platform/keys/api-key-authenticator.ts';
import { extendSchema, gql } from 'postgraphile/utils';
import { serviceMutations } from './call-service.ts';

export const AssetMutationsPlugin = extendSchema((build) => {
  const assets = build.input.pgRegistry.pgResources.assets!;
  return {
    typeDefs: gql`
      input SoftDeleteAssetInput {
        rowId: UUID!
      }

      type SoftDeleteAssetPayload {
        """The asset, now with deletedAt set."""
        asset: Asset
      }

      extend type Mutation {
        """
        Soft-deletes an asset (needs the image:write scope): it stops being delivered at once and
        keeps its rows, versions and stored bytes.
        """
        softDeleteAsset(input: SoftDeleteAssetInput!): SoftDeleteAssetPayload
      }
    `,
    objects: {
      Mutation: serviceMutations({
        softDeleteAsset: async ({ services, claims }, input: { rowId: string }) => {
          requireScope(claims, 'image:write');
          await services.assets.remove(claims, input.rowId);
          services.catalog.forgetAsset(input.rowId);
          return input.rowId;
        },
      }),
      SoftDeleteAssetPayload: { plans: { asset: ($id) => assets.get({ id: $id }) } },
    },
  };
}, 'ImgplaneAssetMutationsPlugin');
