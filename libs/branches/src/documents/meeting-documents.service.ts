import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Request, Response } from 'express';
import { DataSource, EntityManager } from 'typeorm';
import { AccessResource, AccessService } from '@app/auth';
import type { AuthUser } from '@app/auth';
import { AppException, AuditService, ErrorCode } from '@app/core';
import { DocumentMediaType, DocumentStore } from '@app/files';
import type { UploadedDocument } from '@app/files';
import { BranchMeeting } from '../entities/branch-meeting.entity.js';
import { MeetingDocumentDto } from './meeting-document.dto.js';
import { MeetingDocument, MeetingDocumentKind } from './meeting-document.entity.js';

function toDto(d: MeetingDocument, latest: boolean): MeetingDocumentDto {
  const doc = d.document!;
  return {
    id: d.id,
    meetingId: d.meetingId,
    kind: d.kind,
    version: d.version,
    latest,
    sha256: doc.sha256,
    sizeBytes: doc.sizeBytes,
    mediaType: doc.mediaType,
    fileName: doc.originalName,
    uploadedBy: d.uploadedBy,
    uploadedAt: d.uploadedAt,
  };
}

/**
 * A meeting's agenda, minutes and decisions as PDFs in the shared document store, versioned per kind. Scoped
 * like the meeting (AccessResource.Meeting: reads outside 404, writes 403); a verified meeting is locked (409
 * MEETING_LOCKED). The text fields of the meeting stay as they are.
 */
@Injectable()
export class MeetingDocumentsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly access: AccessService,
    private readonly audit: AuditService,
    private readonly documents: DocumentStore,
  ) {}

  async upload(
    actor: AuthUser,
    meetingId: string,
    kind: MeetingDocumentKind,
    upload: UploadedDocument | undefined,
  ): Promise<MeetingDocumentDto> {
    return this.documents.transaction(async (manager, files) => {
      // the meeting row stays locked to commit: concurrent uploads of a kind get consecutive versions
      await this.access.require(actor, AccessResource.Meeting, 'write', [meetingId], {
        manager,
        lock: true,
      });
      const meeting = await manager.findOneByOrFail(BranchMeeting, { id: meetingId });
      if (meeting.verifiedAt) {
        throw new AppException(
          HttpStatus.CONFLICT,
          ErrorCode.MeetingLocked,
          `Meeting ${meetingId} was verified on ${meeting.verifiedAt.toISOString()}: it can no longer change`,
        );
      }
      const checked = this.documents.check(upload, [DocumentMediaType.Pdf]);
      const [{ next }] = await manager.query<[{ next: number }]>(
        `SELECT COALESCE(MAX(version), 0)::int + 1 AS next FROM branch_meeting_documents
          WHERE meeting_id = $1 AND kind = $2`,
        [meetingId, kind],
      );
      const document = await files.save(manager, checked, actor.id);
      const saved = await manager.save(
        manager.create(MeetingDocument, {
          meetingId,
          kind,
          version: next,
          documentId: document.id,
          uploadedBy: actor.id,
        }),
      );
      await this.audit.record(
        {
          action: 'branches.meeting_document_uploaded',
          entityType: 'branch_meeting',
          entityId: meetingId,
          provinceCode: meeting.provinceCode,
          changes: {
            meetingDocumentId: saved.id,
            kind,
            version: next,
            documentId: document.id,
            sha256: document.sha256,
            sizeBytes: document.sizeBytes,
          },
          actorUserId: actor.id,
        },
        manager,
      );
      saved.document = document;
      return toDto(saved, true);
    });
  }

  /** Every version of every kind, by kind then newest version first. */
  async list(actor: AuthUser, meetingId: string): Promise<MeetingDocumentDto[]> {
    await this.access.require(actor, AccessResource.Meeting, 'read', [meetingId]);
    const rows = await this.rows(this.dataSource.manager, meetingId);
    const latest = new Map<MeetingDocumentKind, number>();
    for (const r of rows) latest.set(r.kind, Math.max(latest.get(r.kind) ?? 0, r.version));
    return rows.map((r) => toDto(r, latest.get(r.kind) === r.version));
  }

  async download(
    actor: AuthUser,
    meetingId: string,
    id: string,
    req: Request,
    res: Response,
  ): Promise<void> {
    await this.access.require(actor, AccessResource.Meeting, 'read', [meetingId]);
    const row = await this.dataSource.manager.findOne(MeetingDocument, {
      where: { id, meetingId },
      relations: { document: true },
    });
    if (!row?.document) throw AppException.notFound(`Document ${id} of meeting ${meetingId}`);
    await this.documents.send(row.document, req, res);
  }

  private rows(manager: EntityManager, meetingId: string): Promise<MeetingDocument[]> {
    return manager.find(MeetingDocument, {
      where: { meetingId },
      relations: { document: true },
      order: { kind: 'ASC', version: 'DESC' },
    });
  }
}
