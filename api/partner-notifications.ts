/** The partner inbox's dead letters: notifications whose work was given up, with why, for an operator to act on. */
import { Router } from 'express';
import { z } from 'zod';
import type { DeliverectInbox } from '../application/deliverect-inbox';
import type { PartnerNotification } from '../store/partner-notifications';
import type { AppDeps } from './app';
import { pageWindow, paginate, paginatedSchema, paginationQuery } from './pagination';
import type { RouteBook } from './routes';

const deadLetterSchema = z
  .object({
    id: z
      .string()
      .meta({ description: 'The notification, named by the partner and its own ids: deliverect:cancel:<orderId>' }),
    partner: z.string(),
    kind: z.enum(['order', 'cancel']),
    order_id: z.string().meta({ description: "The partner's order id" }),
    reason: z.string().meta({
      description:
        'order_never_seen (a cancellation whose order did not come within DELIVERECT_ORPHAN_CANCEL_TTL_SECONDS), ' +
        'notification_unreadable, order_dead_lettered (the order it cancels was given up), hand_off_failed (still ' +
        'failing at DELIVERECT_HANDOFF_DEADLINE_SECONDS), or the refusal of a redemption (refund_window_passed, …)',
    }),
    message: z.string(),
    received_at: z.iso.datetime(),
    dead_lettered_at: z.iso.datetime(),
  })
  .meta({ id: 'PartnerNotificationDeadLetter' });

function deadLetterView(notification: Omit<PartnerNotification, 'raw'>) {
  return {
    id: notification._id,
    partner: notification.partner,
    kind: notification.kind === 'order' ? ('order' as const) : ('cancel' as const),
    order_id: notification.order_id,
    reason: notification.dead_letter?.reason ?? 'unknown',
    message: notification.dead_letter?.message ?? '',
    received_at: notification.received_at.toISOString(),
    dead_lettered_at: (notification.dead_lettered_at ?? notification.received_at).toISOString(),
  };
}

export function partnerNotificationsRouter(deps: AppDeps, inbox: DeliverectInbox, routes: RouteBook): Router {
  const router = Router();
  const query = paginationQuery([]);
  routes.add(
    router,
    '/v1',
    {
      method: 'get',
      path: '/v1/partner-notifications/dead-letters',
      summary:
        "Partner notifications whose work was given up, the newest first, each with why (the partner's body, which " +
        'names the customer, is not shown)',
      tag: 'Partner webhooks',
      auth: 'api-key',
      scopes: ['operator'],
      query,
      responses: {
        200: { description: 'One page of dead letters', schema: paginatedSchema(deadLetterSchema, 'DeadLetterPage') },
      },
    },
    async ({ query }, _req, res) => {
      const { items, total } = await inbox.deadLetters(pageWindow(query));
      res.json(
        paginate(
          deps.config.publicBaseUrl,
          { path: '/v1/partner-notifications/dead-letters', query },
          {
            items: items.map(deadLetterView),
            total,
            page: query.page,
            perPage: query.per_page,
          },
        ),
      );
    },
  );
  return router;
}
