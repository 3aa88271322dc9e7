/** Personal data never reaches the audit trail in clear: emails and phone numbers are masked. */
export function maskEmail(email: string): string {
  const [local = '', domain = ''] = email.split('@');
  return `${local.slice(0, 1)}***@${domain}`;
}

export function maskPhone(phone: string): string {
  return phone.length <= 4 ? '***' : `${phone.slice(0, 3)}***${phone.slice(-2)}`;
}

export function maskRequest<T extends { customer_email?: string; phone_number?: string }>(request: T): T {
  return {
    ...request,
    ...(request.customer_email ? { customer_email: maskEmail(request.customer_email) } : {}),
    ...(request.phone_number ? { phone_number: maskPhone(request.phone_number) } : {}),
  };
}
