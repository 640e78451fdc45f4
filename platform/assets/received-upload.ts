/** An upload as the HTTP shell hands it to the asset service: already on disk, hashed and sized. */
export interface ReceivedUpload {
  filePath: string;
  sha256: string;
  size: number;
  filename: string;
  declaredMimeType: string | undefined;
  fields: Record<string, string>;
  discard(): Promise<void>;
}
