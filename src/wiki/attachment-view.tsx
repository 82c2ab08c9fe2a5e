// The attachments section under a page in the web view: the page's files with download links and,
// for members who may edit, the upload form with its error beside the file field and a confirmation.
import type { FC } from 'hono/jsx';

export interface AttachmentLink {
  name: string;
  url: string;
  /** Size, type and revision in words. */
  details: string;
}

export interface AttachmentUploadForm {
  action: string;
  csrf: string;
  maxSize: string;
  /** A problem with the last upload, shown beside the file field. */
  error: string | undefined;
}

export const PageAttachments: FC<{ files: AttachmentLink[]; confirmation: string | undefined; upload: AttachmentUploadForm | undefined }> = (props) => (
  <section id="attachments" class="attachments" aria-labelledby="attachments-heading">
    <h2 id="attachments-heading">Attachments</h2>
    {props.confirmation ? (
      <p role="status" class="flash">
        {props.confirmation}
      </p>
    ) : null}
    {props.files.length === 0 ? (
      <p>No files are attached to this page.</p>
    ) : (
      <ul class="attachment-list">
        {props.files.map((file) => (
          <li>
            <a href={file.url}>{file.name}</a> <small>{file.details}</small>
          </li>
        ))}
      </ul>
    )}
    {props.upload ? (
      <form method="post" action={props.upload.action} enctype="multipart/form-data">
        <input type="hidden" name="csrf" value={props.upload.csrf} />
        <label for="attachment-file">File to attach (at most {props.upload.maxSize}; a file of the same name is replaced, and kept in history)</label>
        <input
          type="file"
          id="attachment-file"
          name="file"
          required
          aria-invalid={props.upload.error ? 'true' : undefined}
          aria-describedby={props.upload.error ? 'attachment-file-error' : undefined}
        />
        {props.upload.error ? <small id="attachment-file-error">{props.upload.error}</small> : null}
        <label for="attachment-message">Note for the history (optional)</label>
        <input type="text" id="attachment-message" name="message" maxlength={500} />
        <button type="submit">Upload</button>
      </form>
    ) : null}
  </section>
);
