import type { RequestHandler } from 'express';
import { HMAC_HEADER, hmacSha256Hex } from '../../domain/partner-auth';
import type { Config } from '../../config/env';
import { PARTNERS, isPartnerName, type PartnerDefinition } from '../../domain/partners';
import type { RawBodyRequest } from '../app';
import { bearerToken, secretsMatch } from '../auth';
import { ApiError } from '../errors';

/** Whether the request carries the partner's inbound credential, compared in constant time. */
export function hasPartnerCredential(partner: PartnerDefinition, secret: string, req: RawBodyRequest): boolean {
  switch (partner.auth) {
    case 'api-token': {
      const token = req.header('api-token');
      return token !== undefined && secretsMatch(token, secret);
    }
    case 'bearer': {
      const token = bearerToken(req.header('authorization'));
      return token !== undefined && secretsMatch(token, secret);
    }
    case 'hmac-sha256': {
      const signature = req.header(HMAC_HEADER)?.trim().toLowerCase();
      const expected = hmacSha256Hex(secret, req.rawBody ?? Buffer.alloc(0));
      return signature !== undefined && secretsMatch(signature, expected);
    }
  }
}

/** Requires this partner's inbound credential: a wrong or missing one (or none configured) is 401 and starts nothing. */
export function requirePartnerCredential(config: Config, partner: PartnerDefinition): RequestHandler {
  return (req, res, next) => {
    const secret = config.partners[partner.name].inboundSecret;
    if (!secret || !hasPartnerCredential(partner, secret, req as RawBodyRequest)) {
      next(
        new ApiError(401, 'unauthenticated', `Send ${partner.title}'s credential as its ${describeScheme(partner)}.`),
      );
      return;
    }
    res.locals.partner = partner;
    next();
  };
}

/** Resolves `:partner` among those `accepts` admits (else 404), then requires its credential. */
export function authenticatePartner(config: Config, accepts: (partner: PartnerDefinition) => boolean): RequestHandler {
  return (req, res, next) => {
    const name = String(req.params.partner ?? '');
    const partner = isPartnerName(name) ? PARTNERS[name] : undefined;
    if (!partner || !accepts(partner)) {
      next(new ApiError(404, 'partner_not_found', `No partner "${name}" sends this webhook here.`));
      return;
    }
    requirePartnerCredential(config, partner)(req, res, next);
  };
}

function describeScheme(partner: PartnerDefinition): string {
  switch (partner.auth) {
    case 'api-token':
      return '"api-token" header';
    case 'bearer':
      return '"Authorization: Bearer <token>" header';
    case 'hmac-sha256':
      return `hex HMAC-SHA256 of the raw body in the "${HMAC_HEADER}" header`;
  }
}
