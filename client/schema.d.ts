/** Written by `npm run client:generate` from the API's OpenAPI document: do not edit. */

export interface paths {
  '/healthz': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Liveness: 503 when the process should be restarted */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description The process is up */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Liveness'];
          };
        };
        /** @description The process's store client has failed for a while although a new client reaches the store: restart it */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Liveness'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/readyz': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Readiness: Temporal and the store reachable, and the store lists what it holds; with the metrics token or an operator key, each check says why */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Ready */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Readiness'];
          };
        };
        /** @description A dependency is down */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Readiness'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/members': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Create a member */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': components['schemas']['CreateMember'];
        };
      };
      responses: {
        /** @description Created */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Member'];
          };
        };
        /** @description Invalid input */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Missing or wrong credential */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The API key lacks the scope this call needs (insufficient_scope): members:write */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description An identifier belongs to another member (identifier_taken) */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is larger than 64 kB (body_too_large) */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is not JSON (unsupported_media_type) */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The client sent more requests than its rate limit allows (API_RATE_LIMITS); see Retry-After */
        429: {
          headers: {
            /** @description Seconds to wait */
            'Retry-After'?: number;
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/members/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A member with their points balances */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description The member id */
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description The member */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Member'];
          };
        };
        /** @description Invalid input */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Missing or wrong credential */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The API key lacks the scope this call needs (insufficient_scope): members:read */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Unknown member */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The client sent more requests than its rate limit allows (API_RATE_LIMITS); see Retry-After */
        429: {
          headers: {
            /** @description Seconds to wait */
            'Retry-After'?: number;
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/members/{id}/points': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Earn (points > 0) or adjust (points < 0) points, idempotently */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description The member id */
          id: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': components['schemas']['PointsChange'];
        };
      };
      responses: {
        /** @description This idempotency_key was already used with these points: nothing changed; the first entry, and the member's points now */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['PointsResult'];
          };
        };
        /** @description Written: the entry, and the member with their points right after it */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['PointsResult'];
          };
        };
        /** @description Invalid input */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Missing or wrong credential */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The API key lacks the scope this call needs (insufficient_scope): members:write */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Unknown member */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description This idempotency_key was used with other points (idempotency_key_reused) */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is larger than 64 kB (body_too_large) */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is not JSON (unsupported_media_type) */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The adjustment exceeds the available points (insufficient_points), or expires_at has passed (expiry_in_past) */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The client sent more requests than its rate limit allows (API_RATE_LIMITS); see Retry-After */
        429: {
          headers: {
            /** @description Seconds to wait */
            'Retry-After'?: number;
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Too much contention on this member; retry with the same key */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/members/{id}/ledger': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A member's ledger entries, newest first */
    get: {
      parameters: {
        query?: {
          /** @description From 1 */
          page?: number;
          /** @description Items per page, 1 to 100 */
          per_page?: number;
          /** @description Comma-separated fields among created_at; prefix one with - for descending order */
          sort?: string;
        };
        header?: never;
        path: {
          /** @description The member id */
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description One page of entries */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['LedgerPage'];
          };
        };
        /** @description Invalid input */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Missing or wrong credential */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The API key lacks the scope this call needs (insufficient_scope): members:read */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Unknown member */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The client sent more requests than its rate limit allows (API_RATE_LIMITS); see Retry-After */
        429: {
          headers: {
            /** @description Seconds to wait */
            'Retry-After'?: number;
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/redemption-options': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The reward catalogue, by id unless sorted otherwise */
    get: {
      parameters: {
        query?: {
          /** @description From 1 */
          page?: number;
          /** @description Items per page, 1 to 100 */
          per_page?: number;
          /** @description Comma-separated fields among id, created_at, name; prefix one with - for descending order */
          sort?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description One page of options */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['RedemptionOptionPage'];
          };
        };
        /** @description Invalid input */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Missing or wrong credential */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The API key lacks the scope this call needs (insufficient_scope): redemptions or options:write */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The client sent more requests than its rate limit allows (API_RATE_LIMITS); see Retry-After */
        429: {
          headers: {
            /** @description Seconds to wait */
            'Retry-After'?: number;
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    put?: never;
    /** Add a reward to the catalogue */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': components['schemas']['RedemptionOptionInput'];
        };
      };
      responses: {
        /** @description Created */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['RedemptionOption'];
          };
        };
        /** @description Invalid input */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Missing or wrong credential */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The API key lacks the scope this call needs (insufficient_scope): options:write */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is larger than 64 kB (body_too_large) */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is not JSON (unsupported_media_type) */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The client sent more requests than its rate limit allows (API_RATE_LIMITS); see Retry-After */
        429: {
          headers: {
            /** @description Seconds to wait */
            'Retry-After'?: number;
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/redemption-options/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** One reward of the catalogue */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description The option id */
          id: number;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description The option */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['RedemptionOption'];
          };
        };
        /** @description Invalid input */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Missing or wrong credential */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The API key lacks the scope this call needs (insufficient_scope): redemptions or options:write */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Unknown option */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The client sent more requests than its rate limit allows (API_RATE_LIMITS); see Retry-After */
        429: {
          headers: {
            /** @description Seconds to wait */
            'Retry-After'?: number;
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/redemptions': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Redemptions, filtered by member_id, status or coupon_code */
    get: {
      parameters: {
        query?: {
          /** @description From 1 */
          page?: number;
          /** @description Items per page, 1 to 100 */
          per_page?: number;
          /** @description Comma-separated fields among created_at, updated_at, status; prefix one with - for descending order */
          sort?: string;
          member_id?: string;
          status?:
            | 'pending'
            | 'rejected'
            | 'awaiting_order'
            | 'redeeming'
            | 'completed'
            | 'expired'
            | 'cancelled'
            | 'compensated'
            | 'refunded'
            | 'needs_review';
          coupon_code?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description A page of redemptions */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['RedemptionPage'];
          };
        };
        /** @description Invalid input */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Missing or wrong credential */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The API key lacks the scope this call needs (insufficient_scope): redemptions or operator */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The client sent more requests than its rate limit allows (API_RATE_LIMITS); see Retry-After */
        429: {
          headers: {
            /** @description Seconds to wait */
            'Retry-After'?: number;
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    put?: never;
    /** Create Redemption: redeem a member’s points for a reward (optional Idempotency-Key header) */
    post: {
      parameters: {
        query?: never;
        header?: {
          /** @description The same key with the same body answers the same redemption; with another body, 409 */
          'Idempotency-Key'?: string;
        };
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': components['schemas']['CreateRedemption'];
        };
      };
      responses: {
        /** @description Completed, or awaiting its order (the coupon is in reward_text) */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Redemption'];
          };
        };
        /** @description Not decided within the synchronous wait, or needs_review (the partner never answered; an operator will settle it); poll GET /v1/redemptions/{id} */
        202: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['RedemptionRef'];
          };
        };
        /** @description Invalid input */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Missing or wrong credential */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The API key lacks the scope this call needs (insufficient_scope): redemptions */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The Idempotency-Key was used with another body */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is larger than 64 kB (body_too_large) */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is not JSON (unsupported_media_type) */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Rejected; the code is the reason */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The client sent more requests than its rate limit allows (API_RATE_LIMITS); see Retry-After */
        429: {
          headers: {
            /** @description Seconds to wait */
            'Retry-After'?: number;
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The partner could not fulfil it; the points are back */
        502: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/redemptions/quote': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Quote a redemption: what Create Redemption would decide now for this body, its cost and every reason it would be refused for; changes nothing */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': components['schemas']['CreateRedemption'];
        };
      };
      responses: {
        /** @description The quote, eligible or not */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['RedemptionQuote'];
          };
        };
        /** @description Invalid input */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Missing or wrong credential */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The API key lacks the scope this call needs (insufficient_scope): redemptions */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is larger than 64 kB (body_too_large) */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is not JSON (unsupported_media_type) */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The client sent more requests than its rate limit allows (API_RATE_LIMITS); see Retry-After */
        429: {
          headers: {
            /** @description Seconds to wait */
            'Retry-After'?: number;
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/redemptions/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A redemption with its ordered audit events */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description The redemption */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['RedemptionWithEvents'];
          };
        };
        /** @description Invalid input */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Missing or wrong credential */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The API key lacks the scope this call needs (insufficient_scope): redemptions or operator */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Unknown */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The client sent more requests than its rate limit allows (API_RATE_LIMITS); see Retry-After */
        429: {
          headers: {
            /** @description Seconds to wait */
            'Retry-After'?: number;
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/redemptions/{id}/cancel': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Cancel a redemption that awaits its order; its held points are released */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Cancelled */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Redemption'];
          };
        };
        /** @description Invalid input */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Missing or wrong credential */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The API key lacks the scope this call needs (insufficient_scope): redemptions */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Unknown */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Already captured, or otherwise past cancelling */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is larger than 64 kB (body_too_large) */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is not JSON (unsupported_media_type) */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The client sent more requests than its rate limit allows (API_RATE_LIMITS); see Retry-After */
        429: {
          headers: {
            /** @description Seconds to wait */
            'Retry-After'?: number;
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/redemptions/{id}/actions/{action}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** An operator's action, audited with the API client and the reason: release a hold now, refund a completed redemption (reason required), or resolve one in needs_review (outcome required) */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
          action: 'release' | 'refund' | 'resolve';
        };
        cookie?: never;
      };
      requestBody?: {
        content: {
          'application/json': components['schemas']['OperatorAction'];
        };
      };
      responses: {
        /** @description Done: the redemption as it is now */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Redemption'];
          };
        };
        /** @description Invalid input */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Missing or wrong credential */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The API key lacks the scope this call needs (insufficient_scope): operator */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Unknown */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The action does not apply to the redemption as it is */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is larger than 64 kB (body_too_large) */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is not JSON (unsupported_media_type) */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The action needs a reason or an outcome */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The client sent more requests than its rate limit allows (API_RATE_LIMITS); see Retry-After */
        429: {
          headers: {
            /** @description Seconds to wait */
            'Retry-After'?: number;
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/orders': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** An order was created with coupons: capture the held points of each (the same order again changes nothing) */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': components['schemas']['OrderCreated'];
        };
      };
      responses: {
        /** @description Captured */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['OrderRedemptions'];
          };
        };
        /** @description Accepted, but a capture has not finished within the wait (the store or a workflow is slow): send the same order again for the final answer */
        202: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['OrderRedemptions'];
          };
        };
        /** @description Invalid input */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Missing or wrong credential */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The API key lacks the scope this call needs (insufficient_scope): orders */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description A coupon is unknown */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description A coupon was already used by another order */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is larger than 64 kB (body_too_large) */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is not JSON (unsupported_media_type) */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description A coupon is expired, cancelled, or not usable for this order */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The client sent more requests than its rate limit allows (API_RATE_LIMITS); see Retry-After */
        429: {
          headers: {
            /** @description Seconds to wait */
            'Retry-After'?: number;
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/orders/{order_id}/cancel': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** The order was cancelled, in whole (no body) or in part (items or amount): refund what it captured for that part */
    post: {
      parameters: {
        query?: {
          /** @description Whose order id it is: merchant (captured through POST /v1/orders or a till, the default) or deliverect (a Deliverect order, for instance to cancel part of it). An id names a different order in each */
          source?: 'merchant' | 'deliverect';
        };
        header?: {
          /** @description Names the cancellation: resent with the same key it refunds nothing more, and with another body (a part, or the whole order) it is refused 409. Required to cancel part of the order (items or amount) */
          'Idempotency-Key'?: string;
        };
        path: {
          order_id: string;
        };
        cookie?: never;
      };
      requestBody?: {
        content: {
          'application/json': components['schemas']['OrderCancellation'];
        };
      };
      responses: {
        /** @description Refunded what was owed, possibly nothing */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['OrderCancelled'];
          };
        };
        /** @description A refund is still in progress (the store or a workflow is slow): send the same request again for the final answer; it refunds nothing twice */
        202: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['OrderCancelled'];
          };
        };
        /** @description Invalid input, or part of the order (items or amount) sent without an Idempotency-Key */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Missing or wrong credential */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The API key lacks the scope this call needs (insufficient_scope): orders */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description No redemption was used by that order of that source */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description A reward of the order is not settled yet (order_not_settled), or the Idempotency-Key was used with another body: another part, or the whole order (idempotency_key_reused) */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is larger than 64 kB (body_too_large) */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is not JSON (unsupported_media_type) */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Past the refund window, or an amount for an order whose subtotal is unknown */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The client sent more requests than its rate limit allows (API_RATE_LIMITS); see Retry-After */
        429: {
          headers: {
            /** @description Seconds to wait */
            'Retry-After'?: number;
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/reports/redemptions': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Counts and points of the redemptions created in a range, by day, option, partner or status; CSV with `Accept: text/csv` */
    get: {
      parameters: {
        query?: {
          /** @description Start of the range, inclusive (UTC). Default: 30 days before `to` */
          from?: string;
          /** @description End of the range, exclusive (UTC); must be later than `from`. Default: the start of tomorrow, or `from` + 30 days. A range covers at most 366 days (else 422) */
          to?: string;
          group_by?: 'day' | 'option' | 'partner' | 'status';
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description The report (JSON, or CSV with a header row when the request accepts text/csv) */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['RedemptionsReport'];
            'text/csv': string;
          };
        };
        /** @description Invalid input */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Missing or wrong credential */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The API key lacks the scope this call needs (insufficient_scope): reports */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The range is longer than 366 days */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The client sent more requests than its rate limit allows (API_RATE_LIMITS); see Retry-After */
        429: {
          headers: {
            /** @description Seconds to wait */
            'Retry-After'?: number;
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/webhook-endpoints': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The webhook endpoints, oldest first unless sorted otherwise */
    get: {
      parameters: {
        query?: {
          /** @description From 1 */
          page?: number;
          /** @description Items per page, 1 to 100 */
          per_page?: number;
          /** @description Comma-separated fields among created_at, url; prefix one with - for descending order */
          sort?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description One page of endpoints */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['WebhookEndpointPage'];
          };
        };
        /** @description Invalid input */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Missing or wrong credential */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The API key lacks the scope this call needs (insufficient_scope): webhooks or webhooks:all */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The client sent more requests than its rate limit allows (API_RATE_LIMITS); see Retry-After */
        429: {
          headers: {
            /** @description Seconds to wait */
            'Retry-After'?: number;
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    put?: never;
    /** Register a URL for signed redemption events; its secret is shown only in this answer */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': components['schemas']['WebhookEndpointInput'];
        };
      };
      responses: {
        /** @description Registered */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['WebhookEndpointWithSecret'];
          };
        };
        /** @description Invalid input */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Missing or wrong credential */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The API key lacks the scope this call needs (insufficient_scope): webhooks or webhooks:all */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is larger than 64 kB (body_too_large) */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is not JSON (unsupported_media_type) */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description webhook_url_not_public: the URL names a private or local address (see WEBHOOK_ALLOW_PRIVATE_URLS); webhook_endpoint_limit_reached: the client has as many endpoints as it may (WEBHOOK_ENDPOINTS_PER_CLIENT) */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The client sent more requests than its rate limit allows (API_RATE_LIMITS); see Retry-After */
        429: {
          headers: {
            /** @description Seconds to wait */
            'Retry-After'?: number;
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/webhook-endpoints/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** One webhook endpoint (without its secret) */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description The endpoint id (whe_…) */
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description The endpoint */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['WebhookEndpoint'];
          };
        };
        /** @description Invalid input */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Missing or wrong credential */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The API key lacks the scope this call needs (insufficient_scope): webhooks or webhooks:all */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Unknown endpoint */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The client sent more requests than its rate limit allows (API_RATE_LIMITS); see Retry-After */
        429: {
          headers: {
            /** @description Seconds to wait */
            'Retry-After'?: number;
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    /** Delete a webhook endpoint: it receives nothing more, not even deliveries already under way */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description The endpoint id (whe_…) */
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Deleted */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description Invalid input */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Missing or wrong credential */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The API key lacks the scope this call needs (insufficient_scope): webhooks or webhooks:all */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Unknown endpoint */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The client sent more requests than its rate limit allows (API_RATE_LIMITS); see Retry-After */
        429: {
          headers: {
            /** @description Seconds to wait */
            'Retry-After'?: number;
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/webhook-endpoints/{id}/rotate-secret': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Replace the signing secret, shown only here: every attempt from now on is signed with it, and with the replaced one too for WEBHOOK_SECRET_OVERLAP_SECONDS (24 h), so that receivers can switch without a gap */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description The endpoint id (whe_…) */
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description The endpoint with its new secret */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['WebhookEndpointWithSecret'];
          };
        };
        /** @description Invalid input */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Missing or wrong credential */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The API key lacks the scope this call needs (insufficient_scope): webhooks or webhooks:all */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Unknown endpoint */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is larger than 64 kB (body_too_large) */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is not JSON (unsupported_media_type) */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The client sent more requests than its rate limit allows (API_RATE_LIMITS); see Retry-After */
        429: {
          headers: {
            /** @description Seconds to wait */
            'Retry-After'?: number;
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/webhook-endpoints/{id}/deliveries': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The endpoint's delivery attempts, newest first; those older than WEBHOOK_DELIVERY_RETENTION_DAYS (30) are dropped, a block of 50 at a time, and `total` still counts them */
    get: {
      parameters: {
        query?: {
          /** @description From 1 */
          page?: number;
          /** @description Items per page, 1 to 100 */
          per_page?: number;
          /** @description Not supported on this list */
          sort?: string;
        };
        header?: never;
        path: {
          /** @description The endpoint id (whe_…) */
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description One page of attempts */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['WebhookDeliveryPage'];
          };
        };
        /** @description Invalid input */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Missing or wrong credential */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The API key lacks the scope this call needs (insufficient_scope): webhooks or webhooks:all */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Unknown endpoint */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The client sent more requests than its rate limit allows (API_RATE_LIMITS); see Retry-After */
        429: {
          headers: {
            /** @description Seconds to wait */
            'Retry-After'?: number;
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/webhook-endpoints/{id}/replay': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Send again the events of a window that the endpoint was sent, each under its original Webhook-Id (receivers de-duplicate on it), signed afresh, in order for each redemption. Each request queues the window again */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description The endpoint id (whe_…) */
          id: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': components['schemas']['WebhookReplayInput'];
        };
      };
      responses: {
        /** @description Queued: the endpoint's lane sends them */
        202: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['WebhookReplay'];
          };
        };
        /** @description Invalid input */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Missing or wrong credential */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The API key lacks the scope this call needs (insufficient_scope): webhooks or webhooks:all */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Unknown endpoint */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description webhook_endpoint_disabled: the endpoint is disabled */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is larger than 64 kB (body_too_large) */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is not JSON (unsupported_media_type) */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description replay_window_too_long: the window is longer than WEBHOOK_REPLAY_MAX_WINDOW_DAYS (7 by default); replay_since_in_future: until is left out and since is not in the past */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The client sent more requests than its rate limit allows (API_RATE_LIMITS); see Retry-After */
        429: {
          headers: {
            /** @description Seconds to wait */
            'Retry-After'?: number;
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/partner-notifications/dead-letters': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Partner notifications whose work was given up, the newest first, each with why (the partner's body, which names the customer, is not shown) */
    get: {
      parameters: {
        query?: {
          /** @description From 1 */
          page?: number;
          /** @description Items per page, 1 to 100 */
          per_page?: number;
          /** @description Not supported on this list */
          sort?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description One page of dead letters */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DeadLetterPage'];
          };
        };
        /** @description Invalid input */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Missing or wrong credential */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The API key lacks the scope this call needs (insufficient_scope): operator */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The client sent more requests than its rate limit allows (API_RATE_LIMITS); see Retry-After */
        429: {
          headers: {
            /** @description Seconds to wait */
            'Retry-After'?: number;
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/webhooks/deliverect/loyalty-programs': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** The member's programmes for this basket, each marked applicable or not */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': components['schemas']['DeliverectLoyaltyProgramsRequest'];
        };
      };
      responses: {
        /** @description Programmes */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DeliverectLoyaltyProgram'][];
          };
        };
        /** @description Malformed body */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Missing or wrong X-Server-Authorization-HMAC-SHA256 signature */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is larger than 64 kB (body_too_large) */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is not JSON (unsupported_media_type) */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/webhooks/deliverect/orders': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** A loyalty order: deducts the points of each redeemed programme (one redemption per orderId + programId) */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': components['schemas']['DeliverectOrderNotification'];
        };
      };
      responses: {
        /** @description Recorded; the redemptions run on their own */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['EmptyAnswer'];
          };
        };
        /** @description Malformed body */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Missing or wrong X-Server-Authorization-HMAC-SHA256 signature */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is larger than 64 kB (body_too_large) */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is not JSON (unsupported_media_type) */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/webhooks/deliverect/orders/cancel': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** The order was cancelled: refunds what it redeemed */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': components['schemas']['DeliverectOrderCancel'];
        };
      };
      responses: {
        /** @description Recorded; the refunds run on their own */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['EmptyAnswer'];
          };
        };
        /** @description Malformed body */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Missing or wrong X-Server-Authorization-HMAC-SHA256 signature */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is larger than 64 kB (body_too_large) */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is not JSON (unsupported_media_type) */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/webhooks/{partner}/check_reward': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** A POS asks whether a coupon is live for this business and branch */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          partner: 'flavours' | 'retm' | 'bonat' | 'loyapro';
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': components['schemas']['RewardWebhook'];
        };
      };
      responses: {
        /** @description The coupon is live here */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['EmptyAnswer'];
          };
        };
        /** @description Invalid input */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Missing or wrong credential */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Unknown partner, or a coupon we did not issue */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The coupon was already used */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is larger than 64 kB (body_too_large) */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is not JSON (unsupported_media_type) */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Expired, cancelled, or not for this business or branch */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/webhooks/{partner}/redeem_reward': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** A POS redeems a coupon: its redemption is captured like an order (the same call again changes nothing) */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          partner: 'flavours' | 'retm' | 'bonat' | 'loyapro';
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': components['schemas']['RewardWebhook'];
        };
      };
      responses: {
        /** @description Captured */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['EmptyAnswer'];
          };
        };
        /** @description Invalid input */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Missing or wrong credential */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Unknown partner, or a coupon we did not issue */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The coupon was already used */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is larger than 64 kB (body_too_large) */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description The body is not JSON (unsupported_media_type) */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
        /** @description Expired, cancelled, or not for this business or branch */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Error'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export type webhooks = Record<string, never>;
export interface components {
  schemas: {
    Error: {
      error: {
        /** @example invalid_request */
        code: string;
        message: string;
        details: {
          path: string;
          message: string;
        }[];
      };
    };
    Liveness: {
      /** @enum {string} */
      status: 'ok' | 'stuck';
    };
    Readiness: {
      /** @enum {string} */
      status: 'ready' | 'not_ready';
      /** @description Why, for the metrics token or an operator key only */
      checks?: {
        temporal: string;
        mongodb: string;
      };
    };
    Member: {
      id: string;
      email: string | null;
      phone_number: string | null;
      pos_account_id: string | null;
      external_id: string | null;
      name: string | null;
      /** @description Points owned */
      points_balance: number;
      /** @description Reserved by redemptions awaiting their order */
      points_held: number;
      /** @description points_balance − points_held */
      points_available: number;
      /** @description The next three dates on which available points expire, soonest first, with how many (held points do not expire while held) */
      points_expiring: {
        /** Format: date-time */
        expires_at: string;
        /** @description Available points that expire then */
        points: number;
      }[];
      /** Format: date-time */
      created_at: string;
    };
    CreateMember: {
      /**
       * Format: email
       * @description Stored lower-case
       */
      email?: string;
      phone_number?: string;
      pos_account_id?: string;
      external_id?: string;
      name?: string;
    } & (
      | {
          /**
           * Format: email
           * @description Stored lower-case
           */
          email: string;
        }
      | {
          phone_number: string;
        }
      | {
          pos_account_id: string;
        }
      | {
          external_id: string;
        }
    );
    PointsResult: {
      entry: components['schemas']['LedgerEntry'];
      member: components['schemas']['Member'];
    };
    LedgerEntry: {
      id: string;
      /** @enum {string} */
      type: 'EARN' | 'ADJUST' | 'HOLD' | 'RELEASE' | 'CAPTURE' | 'DEBIT' | 'REFUND' | 'EXPIRE';
      /** @description Magnitude of the entry; signed for ADJUST */
      points: number;
      balance_delta: number;
      held_delta: number;
      balance_after: number;
      held_after: number;
      /** @description Points that left the balance as expired: all of an EXPIRE, and the part of a RELEASE or REFUND whose date had passed */
      points_expired: number;
      /**
       * Format: date-time
       * @description EARN: when its points expire (null: never); EXPIRE: the date whose points expired
       */
      expires_at: string | null;
      redemption_id: string | null;
      reason: string | null;
      /** Format: date-time */
      created_at: string;
    };
    PointsChange: {
      /** @description Positive earns, negative adjusts down (never beyond the available points) */
      points: number;
      reason: string;
      /** @description The client's key: the same key from the same API client again changes nothing and answers the first result; another client's is its own */
      idempotency_key: string;
      /**
       * Format: date-time
       * @description Earns only: when these points expire (in the future). The unspent rest leaves as an EXPIRE entry then; by default, as the programme says (POINTS_EXPIRE_AFTER_DAYS), else never
       */
      expires_at?: string;
    } & (
      | {
          /** @description Positive earns, negative adjusts down (never beyond the available points) */
          points?: number;
        }
      | {
          expires_at?: never;
        }
    );
    LedgerPage: {
      current_page: number;
      data: components['schemas']['LedgerEntry'][];
      /** Format: uri */
      first_page_url: string;
      /** @description Position of the first item; null on an empty page */
      from: number | null;
      last_page: number;
      /** Format: uri */
      last_page_url: string;
      links: {
        /** Format: uri */
        url: string | null;
        label: string;
        active: boolean;
      }[];
      /** Format: uri */
      next_page_url: string | null;
      /** Format: uri */
      path: string;
      per_page: number;
      /** Format: uri */
      prev_page_url: string | null;
      /** @description Position of the last item; null on an empty page */
      to: number | null;
      total: number;
    };
    RedemptionOption: {
      id: number;
      name: string;
      description?: string;
      /** @enum {string} */
      type:
        | 'discount_amount'
        | 'discount_percentage'
        | 'free_item'
        | 'buy_one_get_one_free'
        | 'item_discount_amount'
        | 'item_discount_percentage'
        | 'variable';
      /** @description Points one redemption costs (fixed types) */
      cost_points?: number;
      /** @description Points per unit of value (variable type) */
      points_per_unit?: number;
      /** @description Minor currency units one unit is worth (variable) */
      unit_value?: number;
      /** @description Minor currency units for amounts; basis points for percentages (5000 = 50%) */
      discount?: number;
      item_plu?: string;
      /** @enum {string} */
      currency:
        | 'AED'
        | 'AUD'
        | 'BHD'
        | 'CAD'
        | 'CHF'
        | 'CNY'
        | 'DKK'
        | 'EGP'
        | 'EUR'
        | 'GBP'
        | 'HKD'
        | 'INR'
        | 'JOD'
        | 'JPY'
        | 'KRW'
        | 'KWD'
        | 'MAD'
        | 'NOK'
        | 'NZD'
        | 'OMR'
        | 'QAR'
        | 'SAR'
        | 'SEK'
        | 'SGD'
        | 'TND'
        | 'TRY'
        | 'USD'
        | 'ZAR';
      min_subtotal: number;
      /** @description Empty = every branch */
      branch_ids: string[];
      /** @description Empty = any business */
      business_ref: string;
      /**
       * @description Who fulfils it; null for none
       * @enum {string|null}
       */
      partner: 'flavours' | 'retm' | 'bonat' | 'loyapro' | 'deliverect' | null;
      /** @description How long a delayed redemption waits for its order, at most 7776000 s */
      coupon_ttl_seconds?: number;
      media_url?: string;
      active: boolean;
      /** Format: date-time */
      starts_at?: string;
      /**
       * Format: date-time
       * @description Must be later than starts_at
       */
      ends_at?: string;
      limits?: components['schemas']['RedemptionOptionLimits'];
      /** Format: date-time */
      created_at: string;
    };
    /** @description Caps on redemptions: per member and period, and in all. A cancelled, expired, compensated, refunded or rejected redemption gives its slot back. */
    RedemptionOptionLimits: {
      /** @description How many redemptions of the option one member may make per period (UTC) */
      per_member?: {
        count: number;
        /** @enum {string} */
        period: 'day' | 'week' | 'month' | 'lifetime';
      };
      /** @description How many redemptions of the option there can be in all */
      stock?: number;
    } & (
      | {
          /** @description How many redemptions of the option one member may make per period (UTC) */
          per_member: {
            count: number;
            /** @enum {string} */
            period: 'day' | 'week' | 'month' | 'lifetime';
          };
        }
      | {
          /** @description How many redemptions of the option there can be in all */
          stock: number;
        }
    );
    RedemptionOptionInput: {
      name: string;
      description?: string;
      /** @enum {string} */
      type:
        | 'discount_amount'
        | 'discount_percentage'
        | 'free_item'
        | 'buy_one_get_one_free'
        | 'item_discount_amount'
        | 'item_discount_percentage'
        | 'variable';
      /** @description Points one redemption costs (fixed types) */
      cost_points?: number;
      /** @description Points per unit of value (variable type) */
      points_per_unit?: number;
      /** @description Minor currency units one unit is worth (variable) */
      unit_value?: number;
      /** @description Minor currency units for amounts; basis points for percentages (5000 = 50%) */
      discount?: number;
      item_plu?: string;
      /** @enum {string} */
      currency:
        | 'AED'
        | 'AUD'
        | 'BHD'
        | 'CAD'
        | 'CHF'
        | 'CNY'
        | 'DKK'
        | 'EGP'
        | 'EUR'
        | 'GBP'
        | 'HKD'
        | 'INR'
        | 'JOD'
        | 'JPY'
        | 'KRW'
        | 'KWD'
        | 'MAD'
        | 'NOK'
        | 'NZD'
        | 'OMR'
        | 'QAR'
        | 'SAR'
        | 'SEK'
        | 'SGD'
        | 'TND'
        | 'TRY'
        | 'USD'
        | 'ZAR';
      /**
       * @description Minimum order subtotal, minor units
       * @default 0
       */
      min_subtotal?: number;
      /**
       * @description Empty = every branch
       * @default []
       */
      branch_ids?: string[];
      /**
       * @description Empty = any business
       * @default
       */
      business_ref?: string;
      /**
       * @description Who fulfils it; null for none
       * @default null
       * @enum {string|null}
       */
      partner?: 'flavours' | 'retm' | 'bonat' | 'loyapro' | 'deliverect' | null;
      /** @description How long a delayed redemption waits for its order, at most 7776000 s */
      coupon_ttl_seconds?: number;
      media_url?: string;
      /** @default true */
      active?: boolean;
      /** Format: date-time */
      starts_at?: string;
      /**
       * Format: date-time
       * @description Must be later than starts_at
       */
      ends_at?: string;
      limits?: components['schemas']['RedemptionOptionLimits'];
    } & (
      | {
          /** @description Points one redemption costs (fixed types) */
          cost_points: number;
          /** @description Minor currency units for amounts; basis points for percentages (5000 = 50%) */
          discount: number;
          /**
           * @constant
           * @enum {string}
           */
          type?: 'discount_amount';
          points_per_unit?: never;
          unit_value?: never;
        }
      | {
          /** @description Points one redemption costs (fixed types) */
          cost_points: number;
          /** @description Minor currency units for amounts; basis points for percentages (5000 = 50%) */
          discount: number;
          /**
           * @constant
           * @enum {string}
           */
          type?: 'discount_percentage';
          points_per_unit?: never;
          unit_value?: never;
        }
      | {
          /** @description Points one redemption costs (fixed types) */
          cost_points: number;
          item_plu: string;
          /**
           * @constant
           * @enum {string}
           */
          type?: 'free_item';
          points_per_unit?: never;
          unit_value?: never;
        }
      | {
          /** @description Points one redemption costs (fixed types) */
          cost_points: number;
          item_plu: string;
          /**
           * @constant
           * @enum {string}
           */
          type?: 'buy_one_get_one_free';
          points_per_unit?: never;
          unit_value?: never;
        }
      | {
          /** @description Points one redemption costs (fixed types) */
          cost_points: number;
          item_plu: string;
          /** @description Minor currency units for amounts; basis points for percentages (5000 = 50%) */
          discount: number;
          /**
           * @constant
           * @enum {string}
           */
          type?: 'item_discount_amount';
          points_per_unit?: never;
          unit_value?: never;
        }
      | {
          /** @description Points one redemption costs (fixed types) */
          cost_points: number;
          item_plu: string;
          /** @description Minor currency units for amounts; basis points for percentages (5000 = 50%) */
          discount: number;
          /**
           * @constant
           * @enum {string}
           */
          type?: 'item_discount_percentage';
          points_per_unit?: never;
          unit_value?: never;
        }
      | {
          /** @description Points per unit of value (variable type) */
          points_per_unit: number;
          /** @description Minor currency units one unit is worth (variable) */
          unit_value: number;
          /**
           * @constant
           * @enum {string}
           */
          type?: 'variable';
          cost_points?: never;
        }
    );
    RedemptionOptionPage: {
      current_page: number;
      data: components['schemas']['RedemptionOption'][];
      /** Format: uri */
      first_page_url: string;
      /** @description Position of the first item; null on an empty page */
      from: number | null;
      last_page: number;
      /** Format: uri */
      last_page_url: string;
      links: {
        /** Format: uri */
        url: string | null;
        label: string;
        active: boolean;
      }[];
      /** Format: uri */
      next_page_url: string | null;
      /** Format: uri */
      path: string;
      per_page: number;
      /** Format: uri */
      prev_page_url: string | null;
      /** @description Position of the last item; null on an empty page */
      to: number | null;
      total: number;
    };
    Redemption: {
      id: string;
      member_id: string | null;
      redemption_option_id: number;
      points: number | null;
      delay_points_deduction: boolean;
      currency: string | null;
      coupon_code: string | null;
      /** @description The coupon code, as the Yotpo-style API returns it */
      reward_text: string | null;
      /** @enum {string} */
      status:
        | 'pending'
        | 'rejected'
        | 'awaiting_order'
        | 'redeeming'
        | 'completed'
        | 'expired'
        | 'cancelled'
        | 'compensated'
        | 'refunded'
        | 'needs_review';
      /** @enum {string|null} */
      reason:
        | 'member_not_found'
        | 'option_not_found'
        | 'option_inactive'
        | 'insufficient_points'
        | 'branch_not_allowed'
        | 'business_not_allowed'
        | 'min_subtotal_not_met'
        | 'currency_not_supported'
        | 'points_required'
        | 'invalid_points'
        | 'member_limit_reached'
        | 'out_of_stock'
        | null;
      /** @enum {string|null} */
      partner: 'flavours' | 'retm' | 'bonat' | 'loyapro' | 'deliverect' | null;
      order_id: string | null;
      /** @description Points given back so far by order cancellations, refunds or compensation */
      points_refunded: number;
      expires_at: string | null;
      created_at: string;
      updated_at: string;
    };
    RedemptionRef: {
      id: string;
      /** @enum {string} */
      status:
        | 'pending'
        | 'rejected'
        | 'awaiting_order'
        | 'redeeming'
        | 'completed'
        | 'expired'
        | 'cancelled'
        | 'compensated'
        | 'refunded'
        | 'needs_review';
    };
    CreateRedemption: {
      customer_email?: string;
      pos_account_id?: string;
      phone_number?: string;
      customer_external_id?: string;
      redemption_option_id: number;
      /** @default false */
      delay_points_deduction?: boolean;
      /** @enum {string} */
      currency?:
        | 'AED'
        | 'AUD'
        | 'BHD'
        | 'CAD'
        | 'CHF'
        | 'CNY'
        | 'DKK'
        | 'EGP'
        | 'EUR'
        | 'GBP'
        | 'HKD'
        | 'INR'
        | 'JOD'
        | 'JPY'
        | 'KRW'
        | 'KWD'
        | 'MAD'
        | 'NOK'
        | 'NZD'
        | 'OMR'
        | 'QAR'
        | 'SAR'
        | 'SEK'
        | 'SGD'
        | 'TND'
        | 'TRY'
        | 'USD'
        | 'ZAR';
      point_redemptions?: number;
    } & (
      | {
          customer_email: string;
        }
      | {
          pos_account_id: string;
        }
      | {
          phone_number: string;
        }
      | {
          customer_external_id: string;
        }
    );
    RedemptionQuote: {
      /** @description Whether Create Redemption with this body would go through now */
      eligible: boolean;
      /** @description What it costs; null when the option is unknown or point_redemptions is not valid for it */
      points: number | null;
      /** @description The member's available points now; null when no member matches */
      points_available: number | null;
      /** @description What the member would have left once redeemed; null when not eligible */
      points_available_after: number | null;
      /** @description Every reason Create Redemption would refuse it for now, in its codes (the first is the one it would answer); empty when eligible */
      reasons: (
        | 'member_not_found'
        | 'option_not_found'
        | 'option_inactive'
        | 'insufficient_points'
        | 'branch_not_allowed'
        | 'business_not_allowed'
        | 'min_subtotal_not_met'
        | 'currency_not_supported'
        | 'points_required'
        | 'invalid_points'
        | 'member_limit_reached'
        | 'out_of_stock'
      )[];
    };
    RedemptionWithEvents: {
      id: string;
      member_id: string | null;
      redemption_option_id: number;
      points: number | null;
      delay_points_deduction: boolean;
      currency: string | null;
      coupon_code: string | null;
      /** @description The coupon code, as the Yotpo-style API returns it */
      reward_text: string | null;
      /** @enum {string} */
      status:
        | 'pending'
        | 'rejected'
        | 'awaiting_order'
        | 'redeeming'
        | 'completed'
        | 'expired'
        | 'cancelled'
        | 'compensated'
        | 'refunded'
        | 'needs_review';
      /** @enum {string|null} */
      reason:
        | 'member_not_found'
        | 'option_not_found'
        | 'option_inactive'
        | 'insufficient_points'
        | 'branch_not_allowed'
        | 'business_not_allowed'
        | 'min_subtotal_not_met'
        | 'currency_not_supported'
        | 'points_required'
        | 'invalid_points'
        | 'member_limit_reached'
        | 'out_of_stock'
        | null;
      /** @enum {string|null} */
      partner: 'flavours' | 'retm' | 'bonat' | 'loyapro' | 'deliverect' | null;
      order_id: string | null;
      /** @description Points given back so far by order cancellations, refunds or compensation */
      points_refunded: number;
      expires_at: string | null;
      created_at: string;
      updated_at: string;
      events: {
        at: string;
        type: string;
        /** @enum {string} */
        status?:
          | 'pending'
          | 'rejected'
          | 'awaiting_order'
          | 'redeeming'
          | 'completed'
          | 'expired'
          | 'cancelled'
          | 'compensated'
          | 'refunded'
          | 'needs_review';
        data?: {
          [key: string]: unknown;
        };
        /** @description The API client whose request wrote it */
        client?: string;
      }[];
    };
    RedemptionPage: {
      current_page: number;
      data: components['schemas']['Redemption'][];
      /** Format: uri */
      first_page_url: string;
      /** @description Position of the first item; null on an empty page */
      from: number | null;
      last_page: number;
      /** Format: uri */
      last_page_url: string;
      links: {
        /** Format: uri */
        url: string | null;
        label: string;
        active: boolean;
      }[];
      /** Format: uri */
      next_page_url: string | null;
      /** Format: uri */
      path: string;
      per_page: number;
      /** Format: uri */
      prev_page_url: string | null;
      /** @description Position of the last item; null on an empty page */
      to: number | null;
      total: number;
    };
    OperatorAction: {
      reason?: string;
      /** @enum {string} */
      outcome?: 'fulfilled' | 'not_fulfilled';
    };
    OrderRedemptions: {
      order_id: string;
      redemptions: components['schemas']['RedemptionRef'][];
    };
    OrderCreated: {
      order_id: string;
      coupon_code?: string;
      coupon_codes?: string[];
      branch_id?: string;
      business_ref?: string;
      subtotal?: number;
      /** @enum {string} */
      currency?:
        | 'AED'
        | 'AUD'
        | 'BHD'
        | 'CAD'
        | 'CHF'
        | 'CNY'
        | 'DKK'
        | 'EGP'
        | 'EUR'
        | 'GBP'
        | 'HKD'
        | 'INR'
        | 'JOD'
        | 'JPY'
        | 'KRW'
        | 'KWD'
        | 'MAD'
        | 'NOK'
        | 'NZD'
        | 'OMR'
        | 'QAR'
        | 'SAR'
        | 'SEK'
        | 'SGD'
        | 'TND'
        | 'TRY'
        | 'USD'
        | 'ZAR';
    } & (
      | {
          coupon_code: string;
          coupon_codes?: never;
        }
      | {
          coupon_codes: string[];
          coupon_code?: never;
        }
    );
    OrderCancelled: {
      order_id: string;
      redemptions: components['schemas']['RedemptionRef'][];
      /** @description Points this cancellation gave back, by redemption (none when nothing was owed) */
      refunds: {
        id: string;
        points: number;
      }[];
    };
    OrderCancellation: {
      /** @description Refunds the item rewards of these items: one reward per unit, in full */
      items?: {
        /** @description The item's PLU, as a reward's item_plu names it */
        plu: string;
        /** @description Units of that item cancelled */
        quantity: number;
      }[];
      /** @description Minor units of the order's subtotal cancelled: order-level rewards refunded in proportion */
      amount?: number;
    } & (
      | {
          /** @description Refunds the item rewards of these items: one reward per unit, in full */
          items: {
            /** @description The item's PLU, as a reward's item_plu names it */
            plu: string;
            /** @description Units of that item cancelled */
            quantity: number;
          }[];
          amount?: never;
        }
      | {
          /** @description Minor units of the order's subtotal cancelled: order-level rewards refunded in proportion */
          amount: number;
          items?: never;
        }
      | {
          items?: never;
          amount?: never;
        }
    );
    RedemptionsReport: {
      from: string;
      to: string;
      /** @enum {string} */
      group_by: 'day' | 'option' | 'partner' | 'status';
      rows: {
        /** @description The day, option id, partner or status */
        key: string;
        /** @description Redemptions created in the range, whatever became of them */
        count: number;
        /** @description Points still spent: points_spent − points_refunded */
        points: number;
        /** @description Points debited or captured for them (ledger DEBIT + CAPTURE) */
        points_spent: number;
        /** @description Points refunded to members (ledger REFUND) */
        points_refunded: number;
      }[];
      totals: {
        /** @description Redemptions created in the range, whatever became of them */
        count: number;
        /** @description Points still spent: points_spent − points_refunded */
        points: number;
        /** @description Points debited or captured for them (ledger DEBIT + CAPTURE) */
        points_spent: number;
        /** @description Points refunded to members (ledger REFUND) */
        points_refunded: number;
      };
    };
    WebhookEndpointWithSecret: {
      id: string;
      /** @description As registered */
      url: string;
      events: (
        | '*'
        | 'redemption.pending'
        | 'redemption.rejected'
        | 'redemption.awaiting_order'
        | 'redemption.redeeming'
        | 'redemption.completed'
        | 'redemption.expired'
        | 'redemption.cancelled'
        | 'redemption.compensated'
        | 'redemption.refunded'
        | 'redemption.needs_review'
      )[];
      description: string | null;
      /**
       * @description Whose redemptions it hears: the registering client's own, or every client's
       * @enum {string}
       */
      redemptions: 'own' | 'all';
      /**
       * @description Disabled when its URL answered 410 Gone
       * @enum {string}
       */
      status: 'enabled' | 'disabled';
      disabled_reason: string | null;
      /** Format: date-time */
      created_at: string;
      /** @description whsec_<base64>: the HMAC key is the base64-decoded part. Shown only on create and rotate */
      secret: string;
      /**
       * Format: date-time
       * @description After a rotation: until when the replaced secret still signs each delivery beside the new one (WEBHOOK_SECRET_OVERLAP_SECONDS); null when none does
       */
      previous_secret_expires_at: string | null;
    };
    WebhookEndpointInput: {
      /** @example https://merchant.example/hooks/loyalty */
      url: string;
      /** @description The event types to receive, or ["*"] for all of them */
      events: (
        | '*'
        | 'redemption.pending'
        | 'redemption.rejected'
        | 'redemption.awaiting_order'
        | 'redemption.redeeming'
        | 'redemption.completed'
        | 'redemption.expired'
        | 'redemption.cancelled'
        | 'redemption.compensated'
        | 'redemption.refunded'
        | 'redemption.needs_review'
      )[];
      description?: string;
      /**
       * @description Whose redemptions it hears: the client's own (the default), or every client's (needs the webhooks:all scope)
       * @default own
       * @enum {string}
       */
      redemptions?: 'own' | 'all';
    };
    WebhookEndpointPage: {
      current_page: number;
      data: components['schemas']['WebhookEndpoint'][];
      /** Format: uri */
      first_page_url: string;
      /** @description Position of the first item; null on an empty page */
      from: number | null;
      last_page: number;
      /** Format: uri */
      last_page_url: string;
      links: {
        /** Format: uri */
        url: string | null;
        label: string;
        active: boolean;
      }[];
      /** Format: uri */
      next_page_url: string | null;
      /** Format: uri */
      path: string;
      per_page: number;
      /** Format: uri */
      prev_page_url: string | null;
      /** @description Position of the last item; null on an empty page */
      to: number | null;
      total: number;
    };
    WebhookEndpoint: {
      id: string;
      /** @description As registered */
      url: string;
      events: (
        | '*'
        | 'redemption.pending'
        | 'redemption.rejected'
        | 'redemption.awaiting_order'
        | 'redemption.redeeming'
        | 'redemption.completed'
        | 'redemption.expired'
        | 'redemption.cancelled'
        | 'redemption.compensated'
        | 'redemption.refunded'
        | 'redemption.needs_review'
      )[];
      description: string | null;
      /**
       * @description Whose redemptions it hears: the registering client's own, or every client's
       * @enum {string}
       */
      redemptions: 'own' | 'all';
      /**
       * @description Disabled when its URL answered 410 Gone
       * @enum {string}
       */
      status: 'enabled' | 'disabled';
      disabled_reason: string | null;
      /** Format: date-time */
      created_at: string;
    };
    WebhookDeliveryPage: {
      current_page: number;
      data: components['schemas']['WebhookDelivery'][];
      /** Format: uri */
      first_page_url: string;
      /** @description Position of the first item; null on an empty page */
      from: number | null;
      last_page: number;
      /** Format: uri */
      last_page_url: string;
      links: {
        /** Format: uri */
        url: string | null;
        label: string;
        active: boolean;
      }[];
      /** Format: uri */
      next_page_url: string | null;
      /** Format: uri */
      path: string;
      per_page: number;
      /** Format: uri */
      prev_page_url: string | null;
      /** @description Position of the last item; null on an empty page */
      to: number | null;
      total: number;
    };
    WebhookDelivery: {
      id: string;
      event_id: string;
      /** @enum {string} */
      event_type:
        | 'redemption.pending'
        | 'redemption.rejected'
        | 'redemption.awaiting_order'
        | 'redemption.redeeming'
        | 'redemption.completed'
        | 'redemption.expired'
        | 'redemption.cancelled'
        | 'redemption.compensated'
        | 'redemption.refunded'
        | 'redemption.needs_review';
      attempt: number;
      /** @description Null when no answer came; see error */
      http_status: number | null;
      error: string | null;
      latency_ms: number;
      succeeded: boolean;
      /**
       * Format: date-time
       * @description Null when no other attempt will be made
       */
      next_try_at: string | null;
      /** Format: date-time */
      attempted_at: string;
      /** @description An attempt of an event sent again by a replay */
      replay: boolean;
    };
    WebhookReplay: {
      /** @description Events of the window owed again; those the endpoint is still owed are not counted, nor sent twice */
      queued: number;
      /** Format: date-time */
      since: string;
      /**
       * Format: date-time
       * @description The end of the window: now when it was left out
       */
      until: string;
    };
    WebhookReplayInput: {
      /**
       * Format: date-time
       * @description Start of the window, inclusive: when the events happened (their created_at)
       */
      since: string;
      /**
       * Format: date-time
       * @description End of the window, exclusive; must be later than since. Default: now
       */
      until?: string;
    };
    DeadLetterPage: {
      current_page: number;
      data: components['schemas']['PartnerNotificationDeadLetter'][];
      /** Format: uri */
      first_page_url: string;
      /** @description Position of the first item; null on an empty page */
      from: number | null;
      last_page: number;
      /** Format: uri */
      last_page_url: string;
      links: {
        /** Format: uri */
        url: string | null;
        label: string;
        active: boolean;
      }[];
      /** Format: uri */
      next_page_url: string | null;
      /** Format: uri */
      path: string;
      per_page: number;
      /** Format: uri */
      prev_page_url: string | null;
      /** @description Position of the last item; null on an empty page */
      to: number | null;
      total: number;
    };
    PartnerNotificationDeadLetter: {
      /** @description The notification, named by the partner and its own ids: deliverect:cancel:<orderId> */
      id: string;
      partner: string;
      /** @enum {string} */
      kind: 'order' | 'cancel';
      /** @description The partner's order id */
      order_id: string;
      /** @description order_never_seen (a cancellation whose order did not come within DELIVERECT_ORPHAN_CANCEL_TTL_SECONDS), notification_unreadable, order_dead_lettered (the order it cancels was given up), hand_off_failed (still failing at DELIVERECT_HANDOFF_DEADLINE_SECONDS), or the refusal of a redemption (refund_window_passed, …) */
      reason: string;
      message: string;
      /** Format: date-time */
      received_at: string;
      /** Format: date-time */
      dead_lettered_at: string;
    };
    DeliverectLoyaltyProgram: {
      programId: string;
      title: string;
      description: string;
      cost: number;
      type: string;
      discount?: number;
      itemPLU?: string;
      media?: {
        url: string;
        /** @enum {string} */
        mediaType: 'image';
      };
      expiresAt: string | null;
      applicable: boolean;
    };
    DeliverectLoyaltyProgramsRequest: {
      order: components['schemas']['DeliverectOrder'];
      /** @description The merchant's account id in Deliverect */
      accountId?: string;
      loyaltyProfileId?: string;
      /** @description The location id of the merchant's account */
      locationId?: string;
      channelLinkId?: string;
    } & {
      [key: string]: unknown;
    };
    DeliverectOrder: {
      /** @description The merchant's account id in Deliverect */
      account?: string;
      /** @description The location id in Deliverect */
      location?: string;
      channelLinkId?: string;
      orderType?: number;
      customer: ({
        email?: string;
        phoneNumber?: string;
        name?: string;
      } & {
        [key: string]: unknown;
      }) &
        (
          | {
              email: string;
            }
          | {
              phoneNumber: string;
            }
        );
      items: components['schemas']['DeliverectItem'][];
      /** @default [] */
      discounts?: ({
        name?: string;
        /** @description The programme redeemed: our option id (a number is accepted and read as a string) */
        programId: string | number;
        type?: string;
        amount?: number;
      } & {
        [key: string]: unknown;
      })[];
      /** @description Minor units with decimalDigits decimals */
      subTotal: number;
      discountTotal?: number;
      paymentAmount?: number;
      decimalDigits: number;
      orderId?: string;
    } & {
      [key: string]: unknown;
    };
    DeliverectItem: {
      plu: string;
      name?: string;
      /** @description Minor units */
      price: number;
      quantity: number;
      /** @default [] */
      subItems?: components['schemas']['DeliverectItem'][];
    } & {
      [key: string]: unknown;
    };
    EmptyAnswer: Record<string, never>;
    DeliverectOrderNotification: ({
      order: components['schemas']['DeliverectOrder'];
      /** @description The merchant's account id in Deliverect */
      accountId?: string;
      loyaltyProfileId?: string;
      /** @description The location id of the merchant's account */
      locationId?: string;
      channelLinkId?: string;
      /** @description Here or in order.orderId (the server also accepts both when they agree) */
      orderId?: string;
    } & {
      [key: string]: unknown;
    }) &
      (
        | {
            /** @description Here or in order.orderId (the server also accepts both when they agree) */
            orderId: string;
            order?: components['schemas']['DeliverectOrder'];
          }
        | {
            orderId?: never;
            order?: components['schemas']['DeliverectOrder'];
          }
      );
    DeliverectOrderCancel: {
      orderId: string;
      isCancelled: boolean;
      cancellationReason?: string;
    } & {
      [key: string]: unknown;
    };
    RewardWebhook: {
      reward_code: string;
      business_refrence: string;
      branch_id: string;
      date: string;
      timestamp: string;
    } & {
      [key: string]: unknown;
    };
  };
  responses: never;
  parameters: never;
  requestBodies: never;
  headers: never;
  pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
