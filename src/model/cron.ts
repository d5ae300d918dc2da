import { z } from 'zod';
import { validate as validCron } from 'node-cron';

/** A cron expression, seconds allowed (node-cron's syntax): a journey's schedule, in its file or in the config. */
export const cronSchema = z.string().refine((expression) => validCron(expression), { error: (issue) => `${JSON.stringify(issue.input)} is not a valid cron expression` });
