import { Router } from 'express';
import { z } from 'zod';
import { optionInputSchema } from '../domain/options';
import { PARTNER_NAMES } from '../domain/partners';
import type { Catalogue } from '../application/catalogue';
import type { AppDeps } from './app';
import { ApiError } from './errors';
import { pageWindow, paginate, paginatedSchema, paginationQuery, parseSort } from './pagination';
import { errorSchema, type RouteBook } from './routes';

const MOUNT = '/v1';
const TAG = 'Redemption options';

/** The stored option: the input with its defaults applied, an integer id and its creation time. */
const redemptionOptionSchema = z
  .object({
    id: z.number().int().positive(),
    ...optionInputSchema.shape,
    min_subtotal: z.number().int(),
    branch_ids: z.array(z.string()).meta({ description: 'Empty = every branch' }),
    business_ref: z.string().meta({ description: 'Empty = any business' }),
    partner: z.enum(PARTNER_NAMES).nullable().meta({ description: 'Who fulfils it; null for none' }),
    active: z.boolean(),
    created_at: z.iso.datetime(),
  })
  .meta({ id: 'RedemptionOption' });

const optionPageSchema = paginatedSchema(redemptionOptionSchema, 'RedemptionOptionPage');

/** API sort field → document field. */
const OPTION_SORTS = { id: '_id', created_at: 'created_at', name: 'name' } as const;
const listQuerySchema = paginationQuery(Object.keys(OPTION_SORTS));

const optionIdParams = z.object({
  id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).meta({ description: 'The option id' }),
});

export function optionsRouter(deps: AppDeps, catalogue: Catalogue, routes: RouteBook): Router {
  const router = Router();

  routes.add(
    router,
    MOUNT,
    {
      method: 'post',
      path: '/v1/redemption-options',
      summary: 'Add a reward to the catalogue',
      tag: TAG,
      auth: 'api-key',
      scopes: ['options:write'],
      body: optionInputSchema,
      responses: { 201: { description: 'Created', schema: redemptionOptionSchema } },
    },
    async ({ body }, _req, res) => {
      res.status(201).json(await catalogue.add(body));
    },
  );

  routes.add(
    router,
    MOUNT,
    {
      method: 'get',
      path: '/v1/redemption-options',
      summary: 'The reward catalogue, by id unless sorted otherwise',
      tag: TAG,
      auth: 'api-key',
      scopes: ['redemptions', 'options:write'],
      query: listQuerySchema,
      responses: { 200: { description: 'One page of options', schema: optionPageSchema } },
    },
    async ({ query }, _req, res) => {
      const sort = parseSort(query.sort, OPTION_SORTS, { _id: 1 });
      const { items, total } = await catalogue.list({ ...pageWindow(query), sort });
      const list = { path: '/v1/redemption-options', query };
      res.json(paginate(deps.config.publicBaseUrl, list, { items, total, page: query.page, perPage: query.per_page }));
    },
  );

  routes.add(
    router,
    MOUNT,
    {
      method: 'get',
      path: '/v1/redemption-options/{id}',
      summary: 'One reward of the catalogue',
      tag: TAG,
      auth: 'api-key',
      scopes: ['redemptions', 'options:write'],
      params: optionIdParams,
      responses: {
        200: { description: 'The option', schema: redemptionOptionSchema },
        404: { description: 'Unknown option', schema: errorSchema },
      },
    },
    async ({ params }, _req, res) => {
      const option = await catalogue.get(params.id);
      if (!option) throw ApiError.notFound(`Redemption option ${params.id}`);
      res.json(option);
    },
  );

  return router;
}
