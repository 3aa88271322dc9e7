import { describe, expect, it } from 'vitest';
import { maskEmail, maskPhone, maskRequest } from '../../domain/masking';

describe('maskEmail', () => {
  it('keeps the first character of the local part and the whole domain', () => {
    expect(maskEmail('sara.ahmed@example.com')).toBe('s***@example.com');
    expect(maskEmail('x@mail.sa')).toBe('x***@mail.sa');
  });

  it('hides the length of the local part', () => {
    expect(maskEmail('ab@example.com')).toBe(maskEmail('abcdefghij@example.com'));
  });
});

describe('maskPhone', () => {
  it('keeps the prefix and the last two digits', () => {
    expect(maskPhone('+966501234567')).toBe('+96***67');
    expect(maskPhone('+96550001122')).toBe('+96***22');
  });

  it('hides very short numbers entirely', () => {
    expect(maskPhone('1234')).toBe('***');
    expect(maskPhone('12')).toBe('***');
  });

  it('never leaves the middle digits readable', () => {
    const masked = maskPhone('+966501234567');
    expect(masked).not.toContain('501234');
    expect(masked).not.toContain('12345');
  });
});

describe('maskRequest', () => {
  it('masks email and phone and leaves every other field as it was', () => {
    const request = {
      customer_email: 'sara@example.com',
      phone_number: '+966501234567',
      pos_account_id: 'pos-42',
      redemption_option_id: 7,
      delay_points_deduction: true,
    };
    expect(maskRequest(request)).toEqual({
      customer_email: 's***@example.com',
      phone_number: '+96***67',
      pos_account_id: 'pos-42',
      redemption_option_id: 7,
      delay_points_deduction: true,
    });
  });

  it('does not change the request it was given', () => {
    const request = { customer_email: 'sara@example.com', phone_number: '+966501234567' };
    maskRequest(request);
    expect(request).toEqual({ customer_email: 'sara@example.com', phone_number: '+966501234567' });
  });

  it('adds no email or phone field that was absent', () => {
    const masked = maskRequest({ customer_external_id: 'ext-1', redemption_option_id: 3 } as {
      customer_external_id: string;
      redemption_option_id: number;
      customer_email?: string;
      phone_number?: string;
    });
    expect(masked).toEqual({ customer_external_id: 'ext-1', redemption_option_id: 3 });
    expect('customer_email' in masked).toBe(false);
    expect('phone_number' in masked).toBe(false);
  });

  it('masks only the phone when there is no email', () => {
    expect(maskRequest({ phone_number: '+966501234567', pos_account_id: 'p' })).toEqual({
      phone_number: '+96***67',
      pos_account_id: 'p',
    });
  });
});
