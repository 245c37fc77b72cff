"""Read API of deals for their parties (Django REST framework, in the project's OpenAPI schema).

    /api/v1/deals/          the deals of the caller's organisations, latest activity first (paginated)
    /api/v1/deals/<id>/     one of them, with every term-sheet version and the message thread

Signed-in users only (session authentication, as the site); a deal of other organisations is 404, like
on the site. Money is integer minor units plus the currency code; royalty rates are basis points. A deleted
message keeps its place with ``deleted: true`` and no body; attachments are metadata and a download URL
(the site's download view, for the parties only). Mounted under ``/api/`` by ``marketplace.urls``.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, serializers, viewsets
from rest_framework.routers import SimpleRouter

from listings.api import THROTTLES, Pagination
from listings.api_contract import ApiAutoSchema
from marketplace.models import Organisation
from negotiations import actions
from negotiations.models import Attachment, Deal, Message, Offer


class PartySerializer(serializers.ModelSerializer):
    verified = serializers.SerializerMethodField()

    class Meta:
        model = Organisation
        fields = ["id", "name", "slug", "kind", "verified"]

    def get_verified(self, organisation) -> bool:
        return organisation.is_verified


class DealListingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class OfferSerializer(serializers.ModelSerializer):
    territory = serializers.ListField(child=serializers.CharField(),
                                      help_text=gettext_lazy("Place keys (countries, regions, groupings, provinces "
                                                             "of mainland China; `WORLD` for worldwide)."))
    term_months = serializers.IntegerField(allow_null=True, help_text=gettext_lazy(
        "The term in months; null: until the last patent expires."))

    class Meta:
        model = Offer
        fields = ["id", "version", "side", "status", "created_at", "status_changed_at", "licence_kind",
                  "territory", "field_of_use", "term_months", "fee_model", "currency", "lump_sum_minor",
                  "entry_fee_minor", "royalty_rate_bp", "royalty_base", "minimum_annual_royalty_minor",
                  "sublicensing_allowed", "governing_law", "valid_until", "note", "distinct_field_confirmed"]


class AttachmentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "original_name", "content_type", "size", "sha256", "created_at", "download_url"]

    def get_download_url(self, attachment) -> str:
        url = reverse("deal_attachment", args=[attachment.deal_id, attachment.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class MessageSerializer(serializers.ModelSerializer):
    deleted = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField()
    author = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = ["id", "side", "author", "created_at", "edited_at", "deleted", "body", "attachments"]

    def get_deleted(self, message) -> bool:
        return message.is_deleted

    def get_body(self, message) -> str | None:
        return None if message.is_deleted else message.body

    def get_author(self, message) -> str:
        return message.author.get_full_name() if message.author else ""


class DealSerializer(serializers.ModelSerializer):
    listing = DealListingSerializer(read_only=True)
    licensor = PartySerializer(read_only=True)
    licensee = PartySerializer(read_only=True)
    agreed_version = serializers.SerializerMethodField()
    web_url = serializers.SerializerMethodField()

    class Meta:
        model = Deal
        fields = ["id", "listing", "licensor", "licensee", "state", "state_changed_at", "current_version",
                  "waiting_for", "agreed_version", "agreed_at", "last_activity_at", "created_at", "web_url"]

    def get_agreed_version(self, deal) -> int | None:
        return deal.agreed_offer.version if deal.agreed_offer_id else None

    def get_web_url(self, deal) -> str:
        request = self.context.get("request")
        url = deal.get_absolute_url()
        return request.build_absolute_uri(url) if request else url


class DealDetailSerializer(DealSerializer):
    offers = OfferSerializer(many=True, read_only=True)
    messages = MessageSerializer(many=True, read_only=True)

    class Meta(DealSerializer.Meta):
        fields = [*DealSerializer.Meta.fields, "offers", "messages"]


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Your deals"),
                       description=gettext_lazy("Deals of the organisations you are a member of, latest activity "
                                                "first. Needs a signed-in session.")),
    retrieve=extend_schema(summary=gettext_lazy("One of your deals"),
                           description=gettext_lazy("With every term-sheet version (oldest first) and the message "
                                                    "thread. 404 unless your organisation is a party.")),
)
class DealViewSet(viewsets.ReadOnlyModelViewSet):
    schema = ApiAutoSchema()
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = Pagination
    throttle_classes = THROTTLES

    def get_serializer_class(self):
        return DealDetailSerializer if self.action == "retrieve" else DealSerializer

    def get_queryset(self):
        deals = (Deal.objects.for_user(self.request.user)
                 .select_related("listing", "licensor", "licensee", "agreed_offer")
                 .order_by("-last_activity_at", "-id"))
        if self.action == "retrieve":
            deals = deals.prefetch_related(
                Prefetch("offers", queryset=Offer.objects.order_by("version")),
                Prefetch("messages", queryset=Message.objects.select_related("author").prefetch_related(
                    "attachments").order_by("created_at", "id")))
        return deals

    def get_object(self):
        deal = super().get_object()
        expired = actions.expire_due(deal=deal)  # lazily, as the deal room does
        return super().get_object() if expired.offers or expired.deals else deal


router = SimpleRouter()
router.register("deals", DealViewSet, basename="api-deal")

urlpatterns = [path("v1/", include(router.urls))]
