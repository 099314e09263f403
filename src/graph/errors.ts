// Errors the image graph adds to src/errors.ts, typed once here.
import { ConflictError } from '../errors';

/** The object (blob, layer, reference) exists already; a writer's commit lost a race or repeated work. */
export class AlreadyExistsError extends ConflictError {}
