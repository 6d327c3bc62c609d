// An absolute http or https URL with a host. Credentials in the URL are refused: messages end up in logs and
// dead-letter queues, where a password must never travel.
import { buildMessage, IsUrl, type ValidationOptions } from 'class-validator';

export function IsHttpUrl(validationOptions?: ValidationOptions): PropertyDecorator {
  return IsUrl(
    {
      protocols: ['http', 'https'],
      require_protocol: true,
      require_valid_protocol: true,
      require_host: true,
      // Callbacks may point at cluster-internal names (http://notifier:8080), which have no TLD.
      require_tld: false,
      disallow_auth: true,
    },
    {
      message: buildMessage(
        (each) => `${each}$property must be an absolute http(s) URL with a host, like "https://example.com/hook"`,
        validationOptions,
      ),
      ...validationOptions,
    },
  );
}
